/**
 * The error-code catalog, read with the TypeScript compiler: the entries of
 * the `TlsErrorCode` union in src/error_codes.ts (code, kind, alert,
 * condition, from each entry's `kind · alert · condition` comment) and every
 * code literal that src/ passes where a code goes (with the kind and alert
 * of the error it makes, when the site names them).
 * `bun scripts/error_codes.ts` prints the Markdown table of docs/errors.md;
 * test/api/error_codes.test.ts checks that the table, the union and the uses agree.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const ROOT = join(import.meta.dir, "..");
const CATALOG = join(ROOT, "src", "error_codes.ts");

/** One code of the catalog. */
export interface CatalogEntry {
  code: string;
  /** The TlsErrorKind the error carries. */
  kind: string;
  /** The alert name, `no alert`, or `the peer's`. */
  alert: string;
  condition: string;
  /** `reserved`: catalogued, not thrown yet. */
  status: "current" | "reserved";
}

/** The catalog, in source order. Throws on an entry without a well-formed comment. */
export function catalog(): CatalogEntry[] {
  const text = readFileSync(CATALOG, "utf8");
  const sf = ts.createSourceFile(CATALOG, text, ts.ScriptTarget.ES2022, true);
  const alias = sf.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === "TlsErrorCode");
  if (!alias || !ts.isUnionTypeNode(alias.type)) throw new Error("src/error_codes.ts: no union type TlsErrorCode");
  const out: CatalogEntry[] = [];
  let prev = alias.type.pos;
  for (const member of alias.type.types) {
    if (!ts.isLiteralTypeNode(member) || !ts.isStringLiteral(member.literal)) throw new Error(`not a string literal: ${member.getText(sf)}`);
    const code = member.literal.text;
    const docs = [...text.slice(prev, member.getStart(sf)).matchAll(/\/\*\*\s*([\s\S]*?)\s*\*\//g)];
    prev = member.getEnd();
    const doc = docs.at(-1)?.[1]?.replace(/\s*\n\s*\*\s*/g, " ");
    const m = doc?.match(/^(\w+) · ([\w' ]+) · (.+)$/);
    if (!m) throw new Error(`${code}: the comment must read "kind · alert · condition", got ${JSON.stringify(doc)}`);
    const condition = m[3]!;
    const status = condition.startsWith("Reserved:") ? "reserved" : "current";
    out.push({ code, kind: m[1]!, alert: m[2]!, condition, status });
  }
  return out;
}

/** The Markdown table of docs/errors.md. */
export function markdownTable(entries: readonly CatalogEntry[] = catalog()): string {
  const rows = entries.map((e) => `| \`${e.code}\` | ${e.kind} | ${e.alert} | ${e.condition.replace(/\|/g, "\\|")} |`);
  return ["| code | kind | alert | condition |", "|---|---|---|---|", ...rows].join("\n");
}

/** A code literal in src/: where, and the kind and alert of its error when the site shows them. */
export interface CodeUse {
  code: string;
  /** Path from the repository root. */
  file: string;
  line: number;
  /** The error's kind, when the site (or the helper it calls) names it. */
  kind?: string;
  /** The alert name or `no alert`, when the site (or the helper it calls) names it. */
  alert?: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

type Call = ts.CallExpression | ts.NewExpression;

/** The name a call's callee is written with: `usageError`, `TlsError`, `#usage`, `certError`… */
function calleeName(call: Call): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** What a wrapper's parameters are bound to at the call being followed. */
type Bindings = ReadonlyMap<string, ts.Expression>;

/** `AlertDescription.x` → "x", through a wrapper's parameter bound to it. */
function alertOf(e: ts.Expression | undefined, bindings: Bindings): string | undefined {
  if (e && ts.isIdentifier(e) && bindings.has(e.text)) return alertOf(bindings.get(e.text), new Map());
  if (e && ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "AlertDescription") return e.name.text;
  return undefined;
}

/** The `alert` of a TlsErrorOptions literal: a name, `no alert`, or undefined when not literal. */
function optionsAlert(e: ts.Expression | undefined, bindings: Bindings): string | undefined {
  if (e === undefined) return "no alert";
  if (!ts.isObjectLiteralExpression(e)) return undefined;
  const p = e.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === "alert");
  if (!p) return "no alert";
  if (ts.isShorthandPropertyAssignment(p)) return alertOf(p.name, bindings);
  return ts.isPropertyAssignment(p) ? alertOf(p.initializer, bindings) : undefined;
}

/**
 * Kind and alert of the error a code argument at `index` of `call` ends up
 * in: read from the library's constructors and helpers, or, for a local
 * wrapper, from the call inside it that receives its `code` parameter.
 */
function errorShape(call: Call, index: number, checker: ts.TypeChecker, depth = 0, bindings: Bindings = new Map()): { kind?: string; alert?: string } {
  const args = call.arguments ?? ts.factory.createNodeArray();
  const name = calleeName(call);
  if (ts.isNewExpression(call) && name === "TlsError" && index === 1) {
    const k = args[0];
    return { ...(k && ts.isStringLiteral(k) ? { kind: k.text } : {}), ...maybe("alert", optionsAlert(args[3], bindings)) };
  }
  if (name === "usageError" && index === 0) return { kind: "usage", alert: "no alert" };
  if (name === "protocolError" && index === 2) return { kind: "protocol", ...maybe("alert", alertOf(args[0], bindings)) };
  if (name === "decodeError" && index === 0) return { kind: "decode", ...maybe("alert", args[2] ? alertOf(args[2], bindings) : "decode_error") };
  if (depth > 3) return {};
  // A wrapper: find the call in its body that receives its parameter at `index`.
  const decl = checker.getResolvedSignature(call)?.declaration;
  if (!decl || !("body" in decl) || !decl.body) return {};
  const param = decl.parameters[index];
  if (!param || !ts.isIdentifier(param.name)) return {};
  const inner = new Map<string, ts.Expression>();
  decl.parameters.forEach((p, i) => {
    const a = args[i];
    if (ts.isIdentifier(p.name) && a) inner.set(p.name.text, ts.isIdentifier(a) && bindings.has(a.text) ? bindings.get(a.text)! : a);
  });
  return shapeOfParameter(decl, param.name.text, checker, depth + 1, inner);
}

/** Kind and alert of the error the function `decl` makes with its parameter `param`. */
function shapeOfParameter(decl: ts.SignatureDeclaration, param: string, checker: ts.TypeChecker, depth: number, bindings: Bindings = new Map()): { kind?: string; alert?: string } {
  let found: { kind?: string; alert?: string } = {};
  const visit = (n: ts.Node): void => {
    if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && n.arguments) {
      const i = n.arguments.findIndex((a) => ts.isIdentifier(a) && a.text === param);
      if (i >= 0) found = errorShape(n, i, checker, depth, bindings);
    }
    ts.forEachChild(n, visit);
  };
  if ("body" in decl && decl.body) visit(decl.body);
  return found;
}

function maybe<K extends string>(key: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: string };
}

/** Every code literal in src/ (src/error_codes.ts itself left out). */
export function codeUses(): CodeUse[] {
  const files = sourceFiles(join(ROOT, "src"));
  const program = ts.createProgram(files, {
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    exactOptionalPropertyTypes: true,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    types: ["bun"],
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const known = new Set(catalog().map((e) => e.code));
  const literals = (t: ts.Type): string[] => (t.isUnion() ? t.types : [t]).filter((x) => x.isStringLiteral()).map((x) => (x as ts.StringLiteralType).value);
  /**
   * A slot typed TlsErrorCode, or a union of two or more codes only (an
   * uncatalogued literal there still has the slot's type). A slot of one
   * literal type is left out: a discriminant such as `{ t: "closed" }` is not a code.
   */
  const isCodeSlot = (t: ts.Type | undefined): boolean => {
    const values = t ? literals(t) : [];
    return values.length > 1 && values.every((v) => known.has(v));
  };
  const out: CodeUse[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(join(ROOT, "src")) || sf.fileName === CATALOG) continue;
    const file = relative(ROOT, sf.fileName);
    const at = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
    const visit = (n: ts.Node): void => {
      const p = n.parent;
      const notAValue = p && (ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isLiteralTypeNode(p) || ts.isExternalModuleReference(p) ||
        ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p)) && p.name === n));
      if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && !notAValue) {
        // Where the literal is an argument: through parentheses and conditional branches.
        let arg: ts.Node = n;
        while (ts.isParenthesizedExpression(arg.parent) || (ts.isConditionalExpression(arg.parent) && arg !== arg.parent.condition)) arg = arg.parent;
        const call = (ts.isCallExpression(arg.parent) || ts.isNewExpression(arg.parent)) ? arg.parent : undefined;
        const index = call?.arguments?.indexOf(arg as ts.Expression) ?? -1;
        const sig = call && index >= 0 ? checker.getResolvedSignature(call) : undefined;
        const paramName = sig && sig.parameters.length > 0 ? sig.parameters[Math.min(index, sig.parameters.length - 1)]!.name : undefined;
        const isDefault = ts.isParameter(n.parent) && n.parent.initializer === n && ts.isIdentifier(n.parent.name) && n.parent.name.text === "code";
        if ((ts.isExpression(n) && isCodeSlot(checker.getContextualType(n))) || (index >= 0 && paramName === "code") || isDefault) {
          let shape: { kind?: string; alert?: string } = {};
          if (call && index >= 0) shape = errorShape(call, index, checker);
          else if (isDefault) shape = shapeOfParameter(n.parent.parent as ts.SignatureDeclaration, "code", checker, 0);
          out.push({ code: n.text, file, line: at(n), ...shape });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

if (import.meta.main) {
  if (process.argv.includes("--uses")) {
    for (const u of codeUses()) console.log(`${u.file}:${u.line} ${u.code} ${u.kind ?? "?"} ${u.alert ?? "?"}`);
  } else console.log(markdownTable());
}
