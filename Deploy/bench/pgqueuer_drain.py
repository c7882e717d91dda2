"""Drains N no-op jobs with pgqueuer (a peer PostgreSQL queue from PyPI), for comparison with
`chitieu-bench jobs` on the same database server. Usage: pgqueuer_drain.py DSN N BATCH"""
import asyncio
import sys
import time
from datetime import timedelta

import asyncpg
from pgqueuer import AsyncpgDriver, QueueManager, Queries
from pgqueuer.types import QueueExecutionMode


async def main(dsn: str, jobs: int, batch: int) -> None:
    connection = await asyncpg.connect(dsn)
    queries = Queries(AsyncpgDriver(connection))
    try:
        await queries.uninstall()
    except Exception:
        pass
    await queries.install()
    for start in range(0, jobs, 10_000):
        n = min(10_000, jobs - start)
        await queries.enqueue(["noop"] * n, [None] * n, [0] * n)
    worker = await asyncpg.connect(dsn)
    manager = QueueManager(Queries(AsyncpgDriver(worker)))

    @manager.entrypoint("noop")
    async def noop(job) -> None:
        return None

    began = time.monotonic()
    await manager.run(batch_size=batch, mode=QueueExecutionMode.drain, dequeue_timeout=timedelta(seconds=1))
    elapsed = time.monotonic() - began
    print(f"pgqueuer drain of {jobs} no-op jobs, batch {batch}: {jobs / elapsed:.0f} jobs/s")
    await queries.uninstall()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
