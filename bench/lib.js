// Shared helpers for the benchmarks: child processes, load generation, memory sampling.
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import pg from 'pg'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Runs node with `args`; output goes to `logFd` when given (the kernel writes it, not us). */
export const spawnNode = (args, env = {}, logFd) => {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd],
  })
  let out = ''
  child.stdout?.on('data', (d) => (out += d))
  child.stderr?.on('data', (d) => (out += d))
  const exited = new Promise((resolve) => child.on('exit', resolve))
  return { child, exited, output: () => out }
}

export const waitHttp = async (url, timeoutMs = 30_000) => {
  const end = Date.now() + timeoutMs
  for (;;) {
    try {
      const r = await fetch(url)
      if (r.ok) return
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${url}`)
    await sleep(50)
  }
}

/** Resident memory of a process, from /proc (Linux). */
export const rssMb = (pid) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : NaN
  } catch {
    return NaN
  }
}

/** One bounded autocannon run against 127.0.0.1 only. */
export const load = (opts) =>
  new Promise((resolve, reject) => {
    if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(opts.url))
      return reject(new Error('benchmarks only target 127.0.0.1'))
    autocannon({ duration: 10, connections: 10, ...opts }, (err, res) => (err ? reject(err) : resolve(res)))
  })

export const summary = (r) => ({
  rps: Math.round(r.requests.average),
  p50: r.latency.p50,
  p99: r.latency.p99,
  max: r.latency.max,
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
  total: r.requests.total,
})

/** A fresh PostgreSQL database next to `adminUrl`'s, for one run; `drop()` removes it. */
export const pgDatabase = async (adminUrl, prefix) => {
  const name = `hadoop_eco_${prefix}_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}

// CPU time from /proc (Linux), in clock ticks of 10 ms.
const TICK_MS = 10
const statOf = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  } catch {
    return undefined
  }
}
const ticksOf = (pid) => {
  const f = statOf(pid)
  return f ? Number(f[11]) + Number(f[12]) : 0 // utime + stime
}
// The live PostgreSQL processes' time, plus what the postmaster collected from its children
// that exited (cutime + cstime): a connection that closes keeps counting.
const postgresTicks = () => {
  const procs = new Map()
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') procs.set(pid, statOf(pid))
    } catch {
      /* gone */
    }
  }
  let sum = 0
  for (const f of procs.values()) {
    if (!f) continue
    sum += Number(f[11]) + Number(f[12])
    if (!procs.has(f[1])) sum += Number(f[13]) + Number(f[14])
  }
  return sum
}
const machineTicks = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number)
  return { all: f.reduce((a, b) => a + b, 0), idle: f[3] + f[4] }
}

/**
 * Where the CPU went while `fn` ran: milliseconds per unit of work (`units(result)`) for each
 * named process, for all PostgreSQL processes together and for this one (the load generator),
 * and how busy the whole machine was. Shows which process bounds a rate.
 */
export const cpuShare = async (pids, fn, units) => {
  const before = {
    pids: Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, ticksOf(p)])),
    pg: postgresTicks(),
    me: process.cpuUsage(),
    m: machineTicks(),
  }
  const result = await fn()
  const me = process.cpuUsage(before.me)
  const m = machineTicks()
  const n = units(result)
  const per = (ticks) => Math.round(((ticks * TICK_MS) / n) * 1000) / 1000
  const msPerUnit = Object.fromEntries(
    Object.entries(pids).map(([k, p]) => [k, per(ticksOf(p) - before.pids[k])]),
  )
  msPerUnit.postgres = per(postgresTicks() - before.pg)
  msPerUnit.loader = Math.round(((me.user + me.system) / 1000 / n) * 1000) / 1000
  const machineBusy = Math.round((1 - (m.idle - before.m.idle) / (m.all - before.m.all)) * 100) / 100
  return { result, cpu: { msPerUnit, machineBusy } }
}

/**
 * Caps a process (all its threads) at `cores` of CPU, as a pod's CPU limit does: a cgroup of the
 * v1 cpu controller with a CFS quota (Linux, root). `throttled` reads how many 100 ms periods
 * hit the cap; `remove` deletes the group once the process has exited.
 */
export const cpuLimit = (pid, name, cores) => {
  const dir = `/sys/fs/cgroup/cpu/hadoop-eco-bench-${name}`
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}/cpu.cfs_period_us`, '100000')
  writeFileSync(`${dir}/cpu.cfs_quota_us`, String(Math.round(cores * 100_000)))
  writeFileSync(`${dir}/cgroup.procs`, String(pid))
  return {
    throttled: () => {
      const stat = Object.fromEntries(
        readFileSync(`${dir}/cpu.stat`, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' ')),
      )
      return { periods: Number(stat.nr_periods), throttled: Number(stat.nr_throttled) }
    },
    remove: () => rmdirSync(dir),
  }
}
