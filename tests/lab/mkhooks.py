#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Rebuild docs/hooks.md from `irqtrail doctor -j` here and the lab guests'
# doctor.json (.output/lab/runs/*/out/doctor.json, left by `make lab`).
import json, subprocess

ci = json.loads(subprocess.run(['./irqtrail', 'doctor', '-j'], capture_output=True, text=True).stdout)
labs = {}
for c, d in [('intel-6.12', '.output'), ('amd-6.12', '.output'), ('intel-6.1', '.output'), ('amd-6.1', '.output'),
             ('vmm-intel-6.12', '.output'), ('arm64-6.12', '.output-arm64'), ('arm64-6.1', '.output-arm64')]:
    try:
        labs[c] = json.load(open('%s/lab/runs/%s/out/doctor.json' % (d, c)))
    except (OSError, ValueError):
        pass


def tier(d, h):
    for x in d['hooks']:
        if x['hook'] == h:
            return x['tier'] if x['attached'] else '—'
    return '?'


out = ['<!-- SPDX-License-Identifier: GPL-2.0-only -->', '# Hook coverage', '',
       'Which tier each hook attached at, per kernel, as `irqtrail doctor -j` reported it: the CI',
       'kernel (6.18, tracepoints only) and the QEMU lab guests (`make lab`: Debian 6.12 and 6.1 with',
       'an emulated Intel or AMD IOMMU; vmm-intel-6.12, the lab guest running Debian\'s QEMU for a',
       'nested guest; arm64-6.12 and arm64-6.1 with a GICv3 ITS and an SMMUv3). "—" means not',
       'attached; `doctor` gives the reason. Regenerate after `make lab` with',
       '`python3 tests/lab/mkhooks.py`.', '',
       '| hook | hop | CI 6.18 | ' + ' | '.join(labs) + ' |', '|---|---|---|' + '---|' * len(labs)]
for x in ci['hooks']:
    out.append('| `%s` | %s | %s | %s |' % (x['hook'], x['hop'], tier(ci, x['hook']),
                                          ' | '.join(tier(labs[c], x['hook']) for c in labs)))
out += ['', 'Hops visible on the CI kernel: ' +
        ', '.join(h['hop'] + ' (' + h['tier'] + ')' for h in ci['hops'] if h['visible']) + '.',
        'Blind there: ' + ', '.join(h['hop'] for h in ci['hops'] if not h['visible']) + '.', '']
open('docs/hooks.md', 'w').write('\n'.join(out) + '\n')
