// Produces the records file with KafkaJS (acks=all) and reads it back through a consumer group.
import kafkajs from 'kafkajs'
import {
  chunks, collector, consumedRecord, consumePhase, main, parseRoundtripArgs, PRODUCE_CHUNK
} from './common.mjs'

const { Kafka, CompressionTypes, logLevel } = kafkajs
// KafkaJS ships only gzip; the other codecs need third-party plugins.
const CODECS = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP }

main(async () => {
  const { bootstrap, topic, records, compression } = parseRoundtripArgs()
  if (!(compression in CODECS)) throw new Error(`KafkaJS has no built-in ${compression} codec`)
  const kafka = new Kafka({
    clientId: 'e2e-kafkajs', brokers: [bootstrap], logLevel: logLevel.ERROR
  })

  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const acks = []
  for (const chunk of chunks(records, PRODUCE_CHUNK)) {
    const results = await producer.send({
      topic,
      acks: -1,
      compression: CODECS[compression],
      messages: chunk.map(r => ({
        key: r.key,
        value: r.value,
        headers: Object.fromEntries(r.headers),
        timestamp: String(r.timestamp)
      }))
    })
    for (const result of results) {
      acks.push({ partition: result.partition, baseOffset: result.baseOffset })
    }
  }
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: `e2e-kafkajs-${topic}`, maxWaitTimeInMs: 500 })
  return { acks, ...await consumePhase(async () => {
    await consumer.connect()
    try {
      await consumer.subscribe({ topic, fromBeginning: true })
      const received = collector(records.length)
      // KafkaJS would restart a crashed consumer silently; the test wants the cause now.
      consumer.on(consumer.events.CRASH, event => received.fail(event.payload.error))
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            received.add(consumedRecord(batch.partition, m.offset, m.key, m.value,
              Object.entries(m.headers || {}), m.timestamp))
          }
        }
      })
      return await received.done
    } finally {
      await consumer.disconnect()
    }
  }) }
})
