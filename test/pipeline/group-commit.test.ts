import { describe, expect, it } from 'vitest'
import { createGroupCommit, type FlushReady } from '../../src/pipeline/group-commit.js'

const turn = () => new Promise<void>((r) => setImmediate(r))

/** A flush the test drives: each call is recorded and waits until the test ends it. */
function heldFlushes() {
  const calls: Array<{
    items: number[]
    ready: FlushReady
    end: () => void
    fail: (err: Error) => void
  }> = []
  const flush = (items: number[], ready: FlushReady) =>
    new Promise<number[]>((resolve, reject) => {
      calls.push({ items, ready, end: () => resolve(items.map((i) => i * 10)), fail: reject })
    })
  return { calls, flush, batches: () => calls.map((c) => c.items) }
}

/** Two flushes running (atOnce 2): the first, of item 1, said ready; the second, of item 2, has not. */
async function twoRunning() {
  const f = heldFlushes()
  const gc = createGroupCommit<number, number>(f.flush, { atOnce: 2 })
  const all = [gc.submit(1)]
  await turn()
  f.calls[0]!.ready()
  all.push(gc.submit(2))
  await turn()
  return { f, gc, all }
}

describe('group commit', () => {
  it('coalesces submissions of one tick into one flush, in order, and fails them together', async () => {
    const flushes: number[][] = []
    let fail = false
    const gc = createGroupCommit<number, number>(async (items) => {
      flushes.push(items)
      if (fail) throw new Error('disk full')
      return items.map((i) => i * 2)
    })
    const results = await Promise.all([1, 2, 3].map((i) => gc.submit(i)))
    expect(results).toEqual([2, 4, 6])
    expect(flushes).toEqual([[1, 2, 3]])
    fail = true
    const settled = await Promise.allSettled([gc.submit(4), gc.submit(5)])
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected'])
    expect(flushes).toHaveLength(2)
  })

  it('one flush at a time by default: what arrives meanwhile waits and goes next, together, even after ready()', async () => {
    const f = heldFlushes()
    const gc = createGroupCommit<number, number>(f.flush)
    const first = gc.submit(1)
    await turn()
    f.calls[0]!.ready()
    const later = [gc.submit(2), gc.submit(3)]
    await turn()
    expect(f.batches()).toEqual([[1]])
    f.calls[0]!.end()
    expect(await first).toBe(10)
    await turn()
    expect(f.batches()).toEqual([[1], [2, 3]])
    f.calls[1]!.end()
    expect(await Promise.all(later)).toEqual([20, 30])
  })

  it('two at once: the second starts only when the first is ready, with everything that queued meanwhile', async () => {
    const f = heldFlushes()
    const gc = createGroupCommit<number, number>(f.flush, { atOnce: 2 })
    const a = gc.submit(1)
    await turn()
    const b = [gc.submit(2), gc.submit(3)]
    await turn()
    await turn()
    // The first has not said ready: the second batch keeps gathering.
    expect(f.batches()).toEqual([[1]])
    const b4 = gc.submit(4)
    await turn()
    f.calls[0]!.ready()
    await turn()
    expect(f.batches()).toEqual([[1], [2, 3, 4]])
    // Two running, the second not ready: a third waits even when the first ends...
    const c = gc.submit(5)
    await turn()
    expect(f.batches()).toHaveLength(2)
    f.calls[0]!.end()
    expect(await a).toBe(10)
    await turn()
    expect(f.batches()).toHaveLength(2)
    // ...and starts when the second is ready.
    f.calls[1]!.ready()
    await turn()
    expect(f.batches()).toEqual([[1], [2, 3, 4], [5]])
    f.calls[2]!.end()
    f.calls[1]!.end()
    expect(await Promise.all([...b, b4, c])).toEqual([20, 30, 40, 50])
  })

  it.each([
    ['both said ready: never more than two running; one ends, the third starts', 1, [[1], [2], [3]]],
    ['the first said ready twice (its transaction run again): it counts once', 0, [[1], [2]]],
  ])('a third waits while two run, %s', async (_, sayer, afterFirstEnds) => {
    const { f, gc, all } = await twoRunning()
    f.calls[sayer]!.ready()
    all.push(gc.submit(3))
    await turn()
    expect(f.batches()).toEqual([[1], [2]])
    f.calls[0]!.end()
    await turn()
    expect(f.batches()).toEqual(afterFirstEnds)
    f.calls[1]!.end()
    await turn()
    expect(f.batches()).toEqual([[1], [2], [3]])
    f.calls[2]!.end()
    expect(await Promise.all(all)).toEqual([10, 20, 30])
  })

  it('each caller gets its own flush result when the later flush commits first', async () => {
    const f = heldFlushes()
    const gc = createGroupCommit<number, number>(f.flush, { atOnce: 2 })
    const order: number[] = []
    const track = (p: Promise<number>) =>
      p.then((v) => {
        order.push(v)
        return v
      })
    const a = track(gc.submit(1))
    await turn()
    f.calls[0]!.ready()
    const b = [track(gc.submit(2)), track(gc.submit(3))]
    await turn()
    f.calls[1]!.end()
    expect(await Promise.all(b)).toEqual([20, 30])
    expect(order).toEqual([20, 30])
    f.calls[0]!.end()
    expect(await a).toBe(10)
  })

  it("a failed flush rejects only its own callers; the other's commit stands", async () => {
    const f = heldFlushes()
    const gc = createGroupCommit<number, number>(f.flush, { atOnce: 2 })
    const a = [gc.submit(1), gc.submit(2)]
    await turn()
    f.calls[0]!.ready()
    const b = gc.submit(3)
    await turn()
    f.calls[0]!.fail(new Error('connection lost'))
    f.calls[1]!.end()
    const settled = await Promise.allSettled([...a, b])
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'fulfilled'])
    expect((settled[0] as PromiseRejectedResult).reason.message).toBe('connection lost')
    expect((settled[2] as PromiseFulfilledResult<number>).value).toBe(30)
    // A failure before ready() lets the next flush start too.
    const c = gc.submit(4)
    await turn()
    f.calls[2]!.fail(new Error('deadlock'))
    await expect(c).rejects.toThrow('deadlock')
    const d = gc.submit(5)
    await turn()
    f.calls[3]!.end()
    expect(await d).toBe(50)
  })

  it('drain waits for both running flushes and what queued behind them', async () => {
    const { f, gc, all } = await twoRunning()
    all.push(gc.submit(3))
    let drained = false
    const draining = gc.drain().then(() => {
      drained = true
    })
    await turn()
    f.calls[0]!.end()
    await turn()
    expect(drained).toBe(false)
    f.calls[1]!.end()
    await turn()
    expect(f.batches()).toEqual([[1], [2], [3]])
    expect(drained).toBe(false)
    f.calls[2]!.end()
    await draining
    expect(await Promise.all(all)).toEqual([10, 20, 30])
    // Nothing submitted: drained at once.
    await gc.drain()
  })
})
