// The official Botpress client, pointed at the mock by its apiUrl only.
// Usage: MOCK_URL=http://127.0.0.1:8000 node analytics.mjs
import { Client, isApiError } from '@botpress/client'

const apiUrl = `${process.env.MOCK_URL ?? 'http://127.0.0.1:8000'}/botpress`
const client = new Client({ apiUrl, token: 'any-token', workspaceId: 'wkspace_1' })

const { records } = await client.getBotAnalytics({
  id: 'bot_1',
  startDate: '2025-01-01T00:00:00.000Z',
  endDate: '2025-01-07T23:59:59.999Z',
})
const sessions = records.reduce((sum, r) => sum + r.sessions, 0)
console.log(`records=${records.length} sessions=${sessions} llmCalls=${records.reduce((s, r) => s + r.llm.calls, 0)}`)

// A bad request comes back as the client's typed error, as from Botpress Cloud.
try {
  await client.getBotAnalytics({ id: 'bot_1', startDate: 'yesterday', endDate: '2025-01-07' })
  console.log('error=none')
} catch (thrown) {
  if (!isApiError(thrown)) throw thrown
  console.log(`error=${thrown.type} code=${thrown.code}`)
}
