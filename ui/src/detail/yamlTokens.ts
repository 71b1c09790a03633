/** Line-level YAML tokens for read-only highlighting (no parser: the server's YAML is well-formed). */

export type TokenClass = "key" | "str" | "num" | "bool" | "null" | "comment" | "punct" | "plain";

export interface Token {
  text: string;
  cls: TokenClass;
}

const KEY_LINE = /^(\s*)(- )?((?:"[^"]*"|'[^']*'|[^\s:#'"][^:#]*?)):(\s+|$)(.*)$/;
const ITEM_LINE = /^(\s*)(- )(.*)$/;

function scalar(value: string): Token[] {
  if (value === "") return [];
  const hash = value.search(/\s#/);
  const body = hash === -1 ? value : value.slice(0, hash);
  const comment = hash === -1 ? "" : value.slice(hash);
  const trimmed = body.trim();
  let cls: TokenClass = "plain";
  if (/^(['"]).*\1$/.test(trimmed) || /^[|>][-+]?$/.test(trimmed)) cls = "str";
  else if (/^-?(\d+(\.\d+)?([eE][-+]?\d+)?|0x[0-9a-fA-F]+)$/.test(trimmed)) cls = "num";
  else if (/^(true|false|yes|no|on|off)$/i.test(trimmed)) cls = "bool";
  else if (/^(null|~)$/.test(trimmed)) cls = "null";
  const tokens: Token[] = [{ text: body, cls }];
  if (comment) tokens.push({ text: comment, cls: "comment" });
  return tokens;
}

export function tokenizeLine(line: string): Token[] {
  if (/^\s*#/.test(line)) return [{ text: line, cls: "comment" }];
  if (/^\s*(---|\.\.\.)\s*$/.test(line)) return [{ text: line, cls: "punct" }];
  const key = KEY_LINE.exec(line);
  if (key) {
    const [, indent = "", dash = "", name = "", gap = "", rest = ""] = key;
    const tokens: Token[] = [];
    if (indent) tokens.push({ text: indent, cls: "plain" });
    if (dash) tokens.push({ text: dash, cls: "punct" });
    tokens.push({ text: name, cls: "key" }, { text: `:${gap}`, cls: "punct" }, ...scalar(rest));
    return tokens;
  }
  const item = ITEM_LINE.exec(line);
  if (item) {
    const [, indent = "", dash = "", rest = ""] = item;
    return [...(indent ? [{ text: indent, cls: "plain" as const }] : []), { text: dash, cls: "punct" }, ...scalar(rest)];
  }
  return line ? [{ text: line, cls: "plain" }] : [];
}
