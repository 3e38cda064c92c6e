// Consumes `count` records of a topic through a KafkaJS consumer group,
// committing each batch before reporting it, so that everything printed is
// committed and a later run of the same group starts after it.
// argv: bootstrap topic group count
import kafkajs from 'kafkajs'
import { collector, consumedRecord, main } from './common.mjs'

const { Kafka, logLevel } = kafkajs

main(async () => {
  const [bootstrap, topic, groupId, count] = process.argv.slice(2)
  if (!count) throw new Error('usage: <bootstrap> <topic> <group> <count>')
  const kafka = new Kafka({ clientId: 'e2e-kafkajs-group', brokers: [bootstrap], logLevel: logLevel.ERROR })
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    const received = collector(Number(count))
    // KafkaJS would restart a crashed consumer silently; the test wants the cause now.
    consumer.on(consumer.events.CRASH, event => received.fail(event.payload.error))
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.isEmpty()) return
        await consumer.commitOffsets([{
          topic: batch.topic,
          partition: batch.partition,
          offset: (BigInt(batch.lastOffset()) + 1n).toString()
        }])
        for (const m of batch.messages) {
          received.add(consumedRecord(batch.partition, m.offset, m.key, m.value,
            Object.entries(m.headers || {}), m.timestamp))
        }
      }
    })
    return { consumed: await received.done }
  } finally {
    await consumer.disconnect()
  }
})
