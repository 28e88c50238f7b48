import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests start real servers and child processes; give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default on 2 cores is one fork (cores − 1), which runs the files one after another while
    // most of them wait on servers, child processes and disks. Two forks: test:unit took 3.1 min
    // instead of 7.6 on this machine, both under heavy load from other work (load 9–13 and 13–17).
    maxWorkers: 2,
    minWorkers: 1,
    // Test files share their fork's process and module cache instead of each starting a fresh fork
    // and importing src again: that import was most of test:unit's time (collect 71 of 108 s under
    // load ~10; the run took 24 s without it, same load). A file that patches something global
    // undoes it when it ends (nock: test/segment/actions-harness.ts).
    isolate: false,
  },
})
