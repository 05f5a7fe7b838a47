#!/usr/bin/env python3
"""The bench suite's M/M/c in SimPy, for a speed ratio measured in the same run.

Same model as the `simulation` suite's `mmc_1m` case: Poisson arrivals at 1000/h, exponential
handle times with mean 230 s, 70 agents, no abandonment, until N contacts have arrived. Prints one
JSON line (wall seconds, contacts, service level at 20 s, ASA) like switchboard-bench does.

    python3 -m venv /tmp/simpy-venv && /tmp/simpy-venv/bin/pip install simpy
    /tmp/simpy-venv/bin/python Benchmarks/simpy_mmc.py 1000000
"""
import json
import random
import sys
import time

import simpy


def run(contacts: int, seed: int = 42) -> dict:
    rate = 1000 / 3600.0  # per second
    aht = 230.0
    agents = 70
    rng = random.Random(seed)
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=agents)
    stats = {"answered": 0, "within": 0, "wait": 0.0}

    def contact(env):
        arrived = env.now
        with pool.request() as req:
            yield req
            waited = env.now - arrived
            stats["answered"] += 1
            stats["wait"] += waited
            if waited <= 20:
                stats["within"] += 1
            yield env.timeout(rng.expovariate(1 / aht))

    def source(env):
        for _ in range(contacts):
            yield env.timeout(rng.expovariate(rate))
            env.process(contact(env))

    env.process(source(env))
    start = time.perf_counter()
    cpu_start = time.process_time()
    env.run()
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return {
        "suite": "simulation",
        "case": "mmc_1m_simpy",
        "contacts": contacts,
        "agents": agents,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "contacts_per_second": contacts / wall,
        "service_level_20s": stats["within"] / max(stats["answered"], 1),
        "asa_seconds": stats["wait"] / max(stats["answered"], 1),
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(json.dumps(run(n)))
