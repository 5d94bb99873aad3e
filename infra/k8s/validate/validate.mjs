// Reads multi-document YAML (kubectl kustomize's output) on stdin and validates every object against the
// OpenAPI schema of its apiVersion and kind: Kubernetes' own (kubernetes-models) and KEDA's CRDs
// (@kubernetes-models/keda). Prints "valid <apiVersion> <kind> <name>" per object; any object that is invalid
// or of a kind it has no schema for is reported and the exit code is 1.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const objects = parseAllDocuments(readFileSync(0, 'utf8')).map((d) => d.toJS()).filter((o) => o);
const failures = [];
for (const object of objects) {
  const name = `${object.apiVersion} ${object.kind} ${object.metadata?.name}`;
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [null, object.apiVersion];
  const pkg = group && group.endsWith('keda.sh') ? '@kubernetes-models/keda' : 'kubernetes-models';
  const module = `${pkg}/${group ? `${group}/` : ''}${version}/${object.kind}`;
  let Model;
  try {
    Model = (await import(module))[object.kind];
  } catch (e) {
    failures.push(`${name}: no schema (${module}: ${e.code ?? e.message})`);
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`valid ${name}`);
  } catch (e) {
    failures.push(`${name}: ${e.message}`);
  }
}
for (const failure of failures) {
  console.log(`INVALID ${failure}`);
}
process.exit(failures.length === 0 && objects.length > 0 ? 0 : 1);
