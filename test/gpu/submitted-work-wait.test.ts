import { expect } from 'chai';
import { installNodeGlobals } from '../../src/gpu/node-gpu.js';
import {
  HISTORY,
  MIN_SLEEP_MS,
  SLEEP_SHARE,
  SPUN_SHARE,
  SubmittedWorkWait,
  type WaitClock,
} from '../../src/gpu/submitted-work-wait.js';

/**
 * The wait's estimates on a virtual clock: "work" submitted at some time ends `duration` ms later;
 * a map settles 0.2 ms after it is asked for, or when the work ends if that is later.
 */
class VirtualGpu implements WaitClock {
  time = 0;
  sleeps: number[] = [];
  maps = 0;
  private workEnd = 0;

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }

  submit(duration: number): void {
    this.workEnd = this.time + duration;
  }

  readonly buffer = {
    mapAsync: async () => {
      this.maps++;
      this.time = Math.max(this.time + 0.2, this.workEnd);
    },
  } as unknown as GPUBuffer;

  /** Runs `durations` through `wait` under `key`: the sleep of each call (0 when none). */
  async run(wait: SubmittedWorkWait, durations: number[], key = 'lift 16x1', workgroups = 2): Promise<number[]> {
    const slept: number[] = [];
    for (const d of durations) {
      const before = this.sleeps.length;
      this.submit(d);
      await wait.mapRead(this.buffer, 64, { key, workgroups });
      slept.push(this.sleeps.length > before ? this.sleeps[this.sleeps.length - 1] : 0);
    }
    return slept;
  }
}

describe('SubmittedWorkWait (waiting without spinning on CPU adapters)', () => {
  before(installNodeGlobals);

  it('maps at once where spinning costs nothing, and for single-workgroup work', async () => {
    const gpu = new VirtualGpu();
    expect(await gpu.run(new SubmittedWorkWait(false, gpu), [40, 40, 40])).to.deep.equal([0, 0, 0]);
    expect(await gpu.run(new SubmittedWorkWait(true, gpu), [40, 40, 40], 'push 1x1', 1)).to.deep.equal([0, 0, 0]);
    expect(gpu.maps).to.equal(6);
  });

  it('sleeps most of steady work, never past its end', async () => {
    const gpu = new VirtualGpu();
    const slept = await gpu.run(new SubmittedWorkWait(true, gpu), Array(HISTORY + 4).fill(40));
    expect(slept[0], 'first call: nothing known yet').to.equal(0);
    // The first, spun wait counts half: the work may have had a core fewer then.
    for (const s of slept.slice(1, HISTORY)) expect(s).to.be.closeTo(SLEEP_SHARE * SPUN_SHARE * 40, 0.5);
    for (const s of slept.slice(HISTORY + 1)) expect(s).to.be.closeTo(SLEEP_SHARE * 40, 0.5);
    for (const s of slept) expect(s).to.be.at.most(40);
  });

  it('does not oversleep the second call of work that the spinning wait slowed', async () => {
    const gpu = new VirtualGpu();
    const wait = new SubmittedWorkWait(true, gpu);
    // On 2 cores the spun first call took twice the work's 30 ms.
    await gpu.run(wait, [60]);
    const [second] = await gpu.run(wait, [30]);
    expect(second).to.be.greaterThan(0).and.at.most(30);
  });

  it('comes down within a few calls when the work gets faster, and never oversleeps when it gets slower', async () => {
    const gpu = new VirtualGpu();
    const wait = new SubmittedWorkWait(true, gpu);
    await gpu.run(wait, Array(6).fill(40));
    const faster = await gpu.run(wait, Array(8).fill(20));
    const over = faster.map((s) => s - 20);
    expect(over[0], 'the first faster call sleeps as before').to.be.greaterThan(0);
    for (let i = 1; i < over.length; i++) if (over[i - 1] > 0) expect(over[i]).to.be.lessThan(over[i - 1]);
    expect(
      over.slice(5).every((o) => o <= 0),
      `overslept by ${over.map((o) => o.toFixed(1))}`,
    ).to.equal(true);
    expect(faster[7]).to.be.greaterThan(0.7 * 20);
    const slower = await gpu.run(wait, Array(10).fill(60));
    for (const s of slower) expect(s).to.be.at.most(60);
    expect(slower[9], 'the slower work is learnt once the history has turned over').to.be.closeTo(
      SLEEP_SHARE * 60,
      0.5,
    );
  });

  it('keeps each key apart, and does not sleep for work shorter than the timer is worth', async () => {
    const gpu = new VirtualGpu();
    const wait = new SubmittedWorkWait(true, gpu);
    for (let i = 0; i <= HISTORY; i++) {
      await gpu.run(wait, [100], 'lift 256x1');
      await gpu.run(wait, [20], 'lift 16x1');
    }
    expect((await gpu.run(wait, [100], 'lift 256x1'))[0]).to.be.closeTo(SLEEP_SHARE * 100, 0.5);
    expect((await gpu.run(wait, [20], 'lift 16x1'))[0]).to.be.closeTo(SLEEP_SHARE * 20, 0.5);
    // Spun throughout, such work is recorded at SPUN_SHARE of its time: never enough to sleep.
    expect(await gpu.run(wait, Array(4).fill(MIN_SLEEP_MS / SPUN_SHARE - 1), 'push 16x1')).to.deep.equal([0, 0, 0, 0]);
  });
});
