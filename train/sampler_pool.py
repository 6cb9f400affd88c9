"""Training windows drawn ahead of the steps in worker processes (train_temporal.py --sampler-workers).

On a GPU a step of a few hundred windows takes less time than one CPU thread needs to draw them
(train/video.py: about 1 ms per window), so the draws go to worker processes that keep a queue of
whole batches filled. Each worker has its own random stream, seeded from the run's seed, the step
the pool starts at and the worker's number: a resumed run draws new windows, not the ones an
uninterrupted run would have drawn (the single-process sampler's state is saved in checkpoints;
this one's is not).
"""
import multiprocessing as mp
import signal

import numpy as np


def _draw(make_sampler, seed, batch_args, queue):
    # A fork keeps the parent's handlers: train_temporal.py's SIGTERM handler only notes the signal,
    # which would leave a worker blocked on a full queue alive through close(). Ctrl-C is the parent's.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sampler = make_sampler(seed)
    while True:
        queue.put(sampler.batch(*batch_args))


class SamplerPool:
    """make_sampler(seed) -> a WindowSampler; batch_args: its batch() arguments, the same every step."""

    def __init__(self, make_sampler, workers, batch_args, seed, step, depth=3):
        # fork: the workers share the parent's loaded mocap instead of reading it again; they only
        # run numpy, so forking a process that uses torch (CUDA is set up after this) is safe.
        ctx = mp.get_context("fork")
        self.queue = ctx.Queue(maxsize=depth * workers)
        seeds = np.random.SeedSequence([seed, step]).generate_state(workers)
        self.procs = [ctx.Process(target=_draw, args=(make_sampler, int(s), batch_args, self.queue), daemon=True,
                                  name=f"sampler-{k}") for k, s in enumerate(seeds)]
        for p in self.procs:
            p.start()

    def batch(self):
        return self.queue.get(timeout=600)

    def close(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
                p.join()
