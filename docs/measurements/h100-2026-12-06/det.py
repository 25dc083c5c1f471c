import json
rec = json.load(open('docs/study/runs/A1/seed-1.json'))
got = [json.loads(l)['metrics'] for l in open('/tmp/det/metrics.jsonl') if '"type":"step"' in l]
timing = {'timeRolloutMs', 'timeUpdateMs'}
bad = [(a['step'], k) for a, b in zip(rec['steps'], got) for k in a if k not in timing and a[k] != b.get(k)]
print(f"cross-machine replay of A1 seed 1, {len(got)} steps vs the record: {'IDENTICAL' if got and not bad else 'DIFFERS ' + str(bad[:10])}")
