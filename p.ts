import * as pkijs from "pkijs";
import * as asn1js from "asn1js";
import { readFileSync } from "node:fs";
const der = readFileSync("/tmp/probe/ec.der");
const c = pkijs.Certificate.fromBER(new Uint8Array(der));
console.log(c.tbsView.length, c.signatureAlgorithm.algorithmId, c.notAfter.value, c.version);
for (const e of c.extensions ?? []) console.log(e.extnID, e.critical, e.parsedValue?.constructor?.name, JSON.stringify(e.parsedValue?.toJSON?.()).slice(0,200));
const alt = c.extensions!.find(e => e.extnID === "2.5.29.17")!.parsedValue as pkijs.AltName;
for (const g of alt.altNames) console.log(g.type, g.value, g.value?.constructor?.name, g.value?.valueBlock?.valueHexView);
const ku = c.extensions!.find(e => e.extnID === "2.5.29.15")!.parsedValue;
console.log("ku", ku.constructor.name, ku.valueBlock.valueHexView, ku.valueBlock.unusedBits);
console.log(c.subjectPublicKeyInfo.algorithm.algorithmId, c.subjectPublicKeyInfo.algorithm.algorithmParams?.valueBlock?.toString(), c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView.length);
console.log(new Uint8Array(c.subject.valueBeforeDecode).length, new Uint8Array(c.subjectPublicKeyInfo.toSchema().toBER()).length);
console.log(c.subject.typesAndValues.map(t => t.type + "=" + t.value.valueBlock.value));
console.log(c.signatureValue.valueBlock.valueHexView.length)
