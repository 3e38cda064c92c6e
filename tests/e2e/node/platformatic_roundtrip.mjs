// Produces the records file with @platformatic/kafka (acks=all) and reads it back
// through a consumer group.
import {
  Consumer, ProduceAcks, Producer, stringDeserializers, stringSerializers
} from '@platformatic/kafka'
import {
  chunks, collector, consumedRecord, consumePhase, main, parseRoundtripArgs, PRODUCE_CHUNK
} from './common.mjs'

main(async () => {
  const { bootstrap, topic, records, compression } = parseRoundtripArgs()
  const producer = new Producer({
    clientId: 'e2e-platformatic',
    bootstrapBrokers: [bootstrap],
    serializers: stringSerializers,
    compression,
    acks: ProduceAcks.ALL,
    autocreateTopics: false
  })
  const acks = []
  try {
    for (const chunk of chunks(records, PRODUCE_CHUNK)) {
      const result = await producer.send({
        messages: chunk.map(r => ({
          topic,
          key: r.key,
          value: r.value,
          headers: new Map(r.headers),
          timestamp: BigInt(r.timestamp)
        }))
      })
      for (const o of result.offsets ?? []) {
        acks.push({ partition: o.partition, baseOffset: String(o.offset) })
      }
    }
  } finally {
    await producer.close()
  }

  const consumer = new Consumer({
    clientId: 'e2e-platformatic',
    groupId: `e2e-platformatic-${topic}`,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 500,
    autocommit: false
  })
  return { acks, ...await consumePhase(async () => {
    try {
      const received = collector(records.length)
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest' })
      stream.on('data', m => received.add(consumedRecord(m.partition, m.offset, m.key, m.value,
        [...m.headers.entries()], m.timestamp)))
      stream.on('error', err => received.fail(err))
      const items = await received.done
      await stream.close()
      return items
    } finally {
      await consumer.close(true)
    }
  }) }
})
