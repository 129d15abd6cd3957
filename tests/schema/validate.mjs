// Validates every document of a multi-document YAML file against the Kubernetes OpenAPI schema,
// using kubernetes-models' generated validators (strict: unknown fields and wrong types fail).
// Usage: node validate.mjs <file.yaml>. Prints one line per document; exit 1 when any fails.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const groups = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "rbac.authorization.k8s.io/v1": "kubernetes-models/rbac.authorization.k8s.io/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "cert-manager.io/v1": "@kubernetes-models/cert-manager/cert-manager.io/v1",
};

let failed = 0;
const documents = parseAllDocuments(readFileSync(process.argv[2], "utf8"));
for (const document of documents) {
  const object = document.toJS();
  const where = `${object?.kind ?? "?"} ${object?.metadata?.name ?? "?"}`;
  try {
    const module = groups[object.apiVersion];
    if (!module) throw new Error(`apiVersion ${object.apiVersion} is not one this check knows`);
    const Model = (await import(module))[object.kind];
    if (!Model) throw new Error(`kind ${object.kind} is not in ${object.apiVersion}`);
    new Model(object).validate();
    console.log(`ok ${where}`);
  } catch (error) {
    failed++;
    console.log(`INVALID ${where}: ${error.message.replace(/\s+/g, " ")}`);
  }
}
console.log(`${documents.length - failed} valid, ${failed} invalid`);
process.exit(failed === 0 ? 0 : 1);
