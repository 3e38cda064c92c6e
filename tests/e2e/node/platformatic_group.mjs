// Consumes `count` records of a topic through a @platformatic/kafka consumer
// group, committing each record before reporting it, so that everything
// printed is committed and a later run of the same group starts after it.
// argv: bootstrap topic group count
import { Consumer, stringDeserializers } from '@platformatic/kafka'
import { collector, consumedRecord, main } from './common.mjs'

main(async () => {
  const [bootstrap, topic, groupId, count] = process.argv.slice(2)
  if (!count) throw new Error('usage: <bootstrap> <topic> <group> <count>')
  const consumer = new Consumer({
    clientId: 'e2e-platformatic-group',
    groupId,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 500,
    autocommit: false
  })
  try {
    const wanted = Number(count)
    const received = collector(wanted)
    // 'committed' starts where the group's commit left off, 'earliest' where it has none.
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest' })
    stream.on('error', err => received.fail(err))
    // Pulls one record at a time rather than leaving a for-await loop early,
    // which would destroy the stream instead of closing it cleanly.
    const records = stream[Symbol.asyncIterator]()
    const consumeAll = async () => {
      while (received.items.length < wanted) {
        const { value: m, done } = await records.next()
        if (done) throw new Error('the stream ended early')
        await m.commit()
        received.add(consumedRecord(m.partition, m.offset, m.key, m.value,
          [...m.headers.entries()], m.timestamp))
      }
    }
    consumeAll().catch(err => received.fail(err))
    const consumed = await received.done
    await stream.close()
    return { consumed }
  } finally {
    await consumer.close(true)
  }
})
