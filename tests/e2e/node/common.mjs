// Shared plumbing for the Node.js client scripts run by the pytest e2e suite.
// Each script prints exactly one JSON document on stdout and exits non-zero on error.
import { readFileSync } from 'node:fs'

export const PRODUCE_CHUNK = 500
export const CONSUME_TIMEOUT_MS = 60000

// argv: bootstrap topic records-file count compression
export function parseRoundtripArgs () {
  const [bootstrap, topic, recordsFile, count, compression] = process.argv.slice(2)
  if (!compression) {
    throw new Error('usage: <bootstrap> <topic> <records.jsonl> <count> <compression>')
  }
  const records = readFileSync(recordsFile, 'utf8').trim().split('\n').map(line => JSON.parse(line))
  if (records.length !== Number(count)) {
    throw new Error(`records file holds ${records.length} records, expected ${count}`)
  }
  return { bootstrap, topic, records, compression }
}

export function chunks (items, size) {
  const out = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

// Resolves when collect() has gathered `count` items; rejects at the deadline so
// a broker that stops answering fails the test instead of hanging it.
export function collector (count, timeoutMs = CONSUME_TIMEOUT_MS) {
  const items = []
  let resolveDone, rejectDone
  const done = new Promise((resolve, reject) => { resolveDone = resolve; rejectDone = reject })
  const timer = setTimeout(
    () => rejectDone(new Error(`consumed ${items.length} of ${count} records in ${timeoutMs} ms`)),
    timeoutMs)
  return {
    items,
    done,
    fail (err) {
      clearTimeout(timer)
      rejectDone(err)
    },
    add (item) {
      items.push(item)
      if (items.length >= count) {
        clearTimeout(timer)
        resolveDone(items)
      }
    }
  }
}

// Fields may be Buffers or already-decoded strings; both end up as UTF-8 text.
export function consumedRecord (partition, offset, key, value, headers, timestamp) {
  const text = field => (field === null || field === undefined ? null : String(field))
  return {
    partition,
    offset: String(offset),
    key: text(key),
    value: text(value),
    headers: headers.map(([name, headerValue]) => [String(name), text(headerValue)]),
    timestamp: String(timestamp)
  }
}

// Runs the consume phase; a failure is reported in the result, not thrown, so the
// test can still check what the produce phase stored.
export async function consumePhase (consume) {
  try {
    return { consumed: await consume(), consumeError: null }
  } catch (err) {
    return { consumed: [], consumeError: err && err.stack ? err.stack : String(err) }
  }
}

// Exits explicitly because client libraries may leave timers behind; the exit
// waits for stdout to drain, since writes to a pipe are asynchronous.
export async function main (body) {
  try {
    const output = JSON.stringify(await body()) + '\n'
    process.stdout.write(output, () => process.exit(0))
  } catch (err) {
    console.error(err && err.stack ? err.stack : err)
    process.exit(1)
  }
}
