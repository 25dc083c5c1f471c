# Compares two runs' metrics.jsonl record by record, every field but wall-clock times and rates.
# Usage: python3 same-metrics.py RUN_DIR_A RUN_DIR_B
import json, sys

def strip(d):
    if isinstance(d, dict):
        return {k: strip(v) for k, v in d.items() if not (k.lower().startswith('time') or k.endswith('PerSec'))}
    if isinstance(d, list):
        return [strip(x) for x in d]
    return d

runs = [[strip(json.loads(line)) for line in open(f'{d}/metrics.jsonl')] for d in sys.argv[1:3]]
same = sum(a == b for a, b in zip(*runs))
print(f'{len(runs[0])} and {len(runs[1])} records; {same} identical but for wall-clock fields:',
      'IDENTICAL' if same == len(runs[0]) == len(runs[1]) else 'DIFFERENT')
