/**
 * Mutants of a TypeScript source file, found on its syntax tree (the `typescript` compiler's parser), so a
 * mutation never lands in a comment, a string, a type or an import. Operators:
 * - `binary`: arithmetic swaps (+ −, * /, % *), relational boundaries (< <=, > >=), equality flips
 *   (=== !==), logical swaps (&& ||) and compound assignments (+= −=, *= /=); string concatenation is left
 *   alone (it only builds messages).
 * - `constant`: a number literal n becomes n + 1 (0 → 1, 1 → 0); `true` ↔ `false`.
 * - `negate`: the condition of an `if`, `while` or `?:` becomes `!(…)`; a `!x` loses its `!`.
 * - `delete`: an expression statement (a call, an assignment, an update) is removed.
 * - `minmax`: `Math.max` ↔ `Math.min`.
 * Nothing inside a `console.*(…)` call is mutated (output for people, not results).
 *
 * @example
 * ```ts
 * const found = findMutants("lib/stats/descriptive.ts", await Deno.readTextFile("lib/stats/descriptive.ts"));
 * const text = applyMutant(source, found[0]);
 * ```
 *
 * @module
 */
import ts from "typescript";

/** One mutation of one file: replace the text in [start, end) by `replacement`. */
export interface Mutant {
  file: string;
  /** 1-based line of the mutated text. */
  line: number;
  operator: "binary" | "constant" | "negate" | "delete" | "minmax";
  start: number;
  end: number;
  original: string;
  replacement: string;
}

const BINARY_SWAPS: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.PlusToken]: "-",
  [ts.SyntaxKind.MinusToken]: "+",
  [ts.SyntaxKind.AsteriskToken]: "/",
  [ts.SyntaxKind.SlashToken]: "*",
  [ts.SyntaxKind.PercentToken]: "*",
  [ts.SyntaxKind.LessThanToken]: "<=",
  [ts.SyntaxKind.LessThanEqualsToken]: "<",
  [ts.SyntaxKind.GreaterThanToken]: ">=",
  [ts.SyntaxKind.GreaterThanEqualsToken]: ">",
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: "!==",
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: "===",
  [ts.SyntaxKind.EqualsEqualsToken]: "!=",
  [ts.SyntaxKind.ExclamationEqualsToken]: "==",
  [ts.SyntaxKind.AmpersandAmpersandToken]: "||",
  [ts.SyntaxKind.BarBarToken]: "&&",
  [ts.SyntaxKind.PlusEqualsToken]: "-=",
  [ts.SyntaxKind.MinusEqualsToken]: "+=",
  [ts.SyntaxKind.AsteriskEqualsToken]: "/=",
  [ts.SyntaxKind.SlashEqualsToken]: "*=",
};

function isStringy(n: ts.Node): boolean {
  return ts.isStringLiteral(n) || ts.isTemplateExpression(n) || ts.isNoSubstitutionTemplateLiteral(n);
}

function isConsoleCall(n: ts.Node): boolean {
  return ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) &&
    ts.isIdentifier(n.expression.expression) && n.expression.expression.text === "console";
}

/** Whether `n` sits where mutating changes no result: a type, an import, or a console call. */
function skipped(n: ts.Node): boolean {
  for (let p: ts.Node | undefined = n; p; p = p.parent) {
    if (ts.isTypeNode(p) || ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || isConsoleCall(p)) {
      return true;
    }
  }
  return ts.isExpressionStatement(n) && isConsoleCall(n.expression);
}

/**
 * Every mutant of `text` (the contents of `file`), in source order.
 *
 * @example
 * ```ts
 * findMutants("a.ts", "const x = a < b;"); // [{ operator: "binary", original: "<", replacement: "<=", … }]
 * ```
 */
export function findMutants(file: string, text: string): Mutant[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Mutant[] = [];
  const add = (operator: Mutant["operator"], start: number, end: number, replacement: string) => {
    out.push({
      file,
      line: sf.getLineAndCharacterOfPosition(start).line + 1,
      operator,
      start,
      end,
      original: text.slice(start, end),
      replacement,
    });
  };
  const negate = (e: ts.Expression) => add("negate", e.getStart(sf), e.end, `!(${e.getText(sf)})`);
  const visit = (n: ts.Node): void => {
    if (skipped(n)) return;
    if (ts.isBinaryExpression(n)) {
      const swap = BINARY_SWAPS[n.operatorToken.kind];
      const concat = n.operatorToken.kind === ts.SyntaxKind.PlusToken ||
        n.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken;
      if (swap && !(concat && (isStringy(n.left) || isStringy(n.right)))) {
        add("binary", n.operatorToken.getStart(sf), n.operatorToken.end, swap);
      }
    } else if (ts.isNumericLiteral(n)) {
      const v = Number(n.text);
      add("constant", n.getStart(sf), n.end, String(v === 0 ? 1 : v === 1 ? 0 : v + 1));
    } else if (n.kind === ts.SyntaxKind.TrueKeyword || n.kind === ts.SyntaxKind.FalseKeyword) {
      add("constant", n.getStart(sf), n.end, n.kind === ts.SyntaxKind.TrueKeyword ? "false" : "true");
    } else if (ts.isIfStatement(n) || ts.isWhileStatement(n)) {
      negate(n.expression);
    } else if (ts.isConditionalExpression(n)) {
      negate(n.condition);
    } else if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.ExclamationToken) {
      add("negate", n.getStart(sf), n.end, n.operand.getText(sf));
    } else if (ts.isExpressionStatement(n) && ts.isBlock(n.parent)) {
      const e = n.expression;
      const isSuper = ts.isCallExpression(e) && e.expression.kind === ts.SyntaxKind.SuperKeyword;
      if (!isSuper) add("delete", n.getStart(sf), n.end, ";");
    } else if (
      ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "Math" &&
      (n.name.text === "max" || n.name.text === "min")
    ) {
      add("minmax", n.name.getStart(sf), n.name.end, n.name.text === "max" ? "min" : "max");
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** `text` with `m` applied. */
export function applyMutant(text: string, m: Mutant): string {
  if (text.slice(m.start, m.end) !== m.original) {
    throw new Error(`${m.file}:${m.line}: the text at the mutant's place is not '${m.original}'`);
  }
  return text.slice(0, m.start) + m.replacement + text.slice(m.end);
}
