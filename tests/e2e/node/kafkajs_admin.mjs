// Runs a topic-administration scenario through the KafkaJS admin client.
// argv: bootstrap topic-prefix. Prints {step: {ok, value} | {ok: false, errors: [type...]}}.
import kafkajs from 'kafkajs'
import { main } from './common.mjs'

const { Kafka, ConfigResourceTypes, logLevel } = kafkajs
const TIMEOUT_MS = 30000

function errorTypes (err) {
  const inner = Array.isArray(err.errors) ? err.errors : [err]
  return inner.map(e => e.type || e.name || String(e))
}

async function outcome (fn) {
  try {
    return { ok: true, value: await fn() }
  } catch (err) {
    return { ok: false, errors: errorTypes(err), message: err.message }
  }
}

main(async () => {
  const [bootstrap, prefix] = process.argv.slice(2)
  const topic = `${prefix}-main`
  const kafka = new Kafka({
    clientId: 'e2e-kafkajs-admin',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 }
  })
  const admin = kafka.admin()
  await admin.connect()
  const create = (name, extra = {}) => admin.createTopics({
    timeout: TIMEOUT_MS,
    topics: [{ topic: name, numPartitions: 3, replicationFactor: 1, ...extra }]
  })
  const partitionIds = async () => {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    return topics[0].partitions.map(p => p.partitionId).sort((a, b) => a - b)
  }
  const retention = async () => {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }]
    })
    return resources[0].configEntries.find(e => e.configName === 'retention.ms')?.configValue
  }
  const steps = {}
  try {
    steps.create = await outcome(() => create(topic, {
      configEntries: [{ name: 'retention.ms', value: '3600000' }]
    }))
    steps.createAgain = await outcome(() => create(topic))
    steps.listed = await outcome(async () => (await admin.listTopics()).includes(topic))
    steps.partitions = await outcome(partitionIds)
    steps.retention = await outcome(retention)
    steps.grow = await outcome(() => admin.createPartitions({
      timeout: TIMEOUT_MS, topicPartitions: [{ topic, count: 5 }]
    }))
    steps.partitionsAfterGrow = await outcome(partitionIds)
    steps.shrink = await outcome(() => admin.createPartitions({
      timeout: TIMEOUT_MS, topicPartitions: [{ topic, count: 2 }]
    }))
    steps.alter = await outcome(() => admin.alterConfigs({
      validateOnly: false,
      resources: [{
        type: ConfigResourceTypes.TOPIC,
        name: topic,
        configEntries: [{ name: 'retention.ms', value: '60000' }]
      }]
    }))
    steps.retentionAfterAlter = await outcome(retention)
    steps.badName = await outcome(() => create('bad/name'))
    steps.badConfig = await outcome(() => create(`${prefix}-badcfg`, {
      configEntries: [{ name: 'no.such.config', value: '1' }]
    }))
    steps.validateOnly = await outcome(() => admin.createTopics({
      validateOnly: true,
      waitForLeaders: false,
      timeout: TIMEOUT_MS,
      topics: [{ topic: `${prefix}-dry`, numPartitions: 1, replicationFactor: 1 }]
    }))
    steps.dryListed = await outcome(
      async () => (await admin.listTopics()).includes(`${prefix}-dry`))
    steps.delete = await outcome(() => admin.deleteTopics({ topics: [topic], timeout: TIMEOUT_MS }))
  } finally {
    await admin.disconnect()
  }
  return steps
})
