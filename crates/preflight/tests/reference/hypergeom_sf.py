#!/usr/bin/env python3
"""Reference values for preflight's hypergeometric upper tail
(crates/preflight/src/attribute/enrichment.rs, test `upper_tail_matches_scipy`).

P(X >= k) for X ~ Hypergeometric(population, successes, draws), as
scipy.stats.hypergeom.sf(k - 1, M=population, n=successes, N=draws).
Printed as Rust tuples (k, population, successes, draws, p); values were
made with scipy 1.17.1.
"""
import scipy.stats as st

CASES = [(2, 80, 2, 8), (8, 640, 16, 8), (16, 640, 16, 16), (0, 100, 10, 5),
         (3, 1000, 5, 50), (30, 100000, 40, 800), (1, 10, 1, 1), (5, 50, 20, 10)]
for k, population, successes, draws in CASES:
    p = st.hypergeom.sf(k - 1, population, successes, draws)
    print(f"({k}, {population}, {successes}, {draws}, {float(p)!r}),")
