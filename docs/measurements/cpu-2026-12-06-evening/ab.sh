#!/bin/bash
# A/B across commits: the same 4-step CPU run (8 prompts x 16, 8 updates) at the session-start commit and at HEAD, interleaved.
set -e
run() { (cd $1 && rm -rf /tmp/ab-$2-$3 && npx tsx src/cli/lab.ts run --preset random-qwen-math --backend cpu --steps 4 --seeds 1 --set evalevery=0 --set evalsize=4 --set avgk=1 --jobs 1 --quiet --out /tmp/ab-$2-$3 >/dev/null 2>&1); }
for i in 1 2 3; do run "${OLD:-/tmp/wt-old}" old $i; run "${NEW:-.}" new $i; done
python3 - <<'PY'
import json,statistics
for arm in ['old','new']:
    steps=[]
    for i in [1,2,3]:
        for l in open(f'/tmp/ab-{arm}-{i}/metrics.jsonl'):
            e=json.loads(l)
            if e['type']=='step':
                m=e['metrics']; steps.append(m['timeRolloutMs']+m['timeScoringMs']+m['timeLogprobsMs']+m['timeUpdateMs'])
    print(arm, 'median step ms', round(statistics.median(steps)), 'over', len(steps), 'steps')
PY
