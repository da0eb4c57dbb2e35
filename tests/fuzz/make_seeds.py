#!/usr/bin/python3
"""Writes the initial seed corpus of each fuzz target (random byte strings of
a few lengths, fixed seed).  libFuzzer grows its own corpus from them; the
committed seeds also include inputs kept from longer runs."""
import os
import random
import sys

here = os.path.dirname(os.path.abspath(__file__))
for target in sys.argv[1:]:
    rnd = random.Random(target)
    d = os.path.join(here, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for i, n in enumerate([32, 64, 128, 200, 256, 400, 512, 700]):
        with open(os.path.join(d, 'seed%02d' % i), 'wb') as f:
            f.write(bytes(rnd.randrange(256) for _ in range(n)))
