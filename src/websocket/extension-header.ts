/** One extension a client offers in `Sec-WebSocket-Extensions`: its name and parameters, in order (names lower-cased). */
export interface ExtensionOffer {
  readonly name: string;
  /** Each parameter as given: `true` when it has no value, else its value (a quoted one unquoted). */
  readonly params: ReadonlyArray<readonly [name: string, value: string | true]>;
}

/**
 * The offers of a `Sec-WebSocket-Extensions` header (RFC 6455, section 9.1), in the client's
 * order of preference; several headers count as one list. An offer that breaks the grammar (a
 * name or parameter that is no token, a value that is no token or quoted token, an unterminated
 * quote, an empty parameter) is left out, as a declined offer: the others still count, and a
 * malformed header costs the client its extensions, never the connection.
 */
export function parseExtensionOffers(header: string | readonly string[] | undefined): ExtensionOffer[] {
  if (header === undefined) return [];
  const text = typeof header === 'string' ? header : header.join(',');
  const offers: ExtensionOffer[] = [];
  for (const element of splitOutsideQuotes(text, ',')) {
    // An empty list element (`a, , b`) is allowed and means nothing (RFC 9110, 5.6.1).
    if (element.trim() === '') continue;
    const offer = parseOffer(element);
    if (offer) offers.push(offer);
  }
  return offers;
}

/** RFC 9110 `token`: visible ASCII but separators. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function parseOffer(element: string): ExtensionOffer | undefined {
  const [head, ...rest] = splitOutsideQuotes(element, ';');
  const name = head.trim();
  if (!TOKEN.test(name)) return undefined;
  const params: Array<readonly [string, string | true]> = [];
  for (const part of rest) {
    const equals = part.indexOf('=');
    const paramName = (equals === -1 ? part : part.slice(0, equals)).trim();
    if (!TOKEN.test(paramName)) return undefined;
    if (equals === -1) {
      params.push([paramName.toLowerCase(), true]);
      continue;
    }
    const value = paramValue(part.slice(equals + 1).trim());
    if (value === undefined) return undefined;
    params.push([paramName.toLowerCase(), value]);
  }
  return { name: name.toLowerCase(), params };
}

/** A token, or a quoted string whose content is a token once unescaped (RFC 6455, 9.1). */
function paramValue(raw: string): string | undefined {
  if (!raw.startsWith('"')) return TOKEN.test(raw) ? raw : undefined;
  if (raw.length < 2 || !raw.endsWith('"')) return undefined;
  let value = '';
  for (let index = 1; index < raw.length - 1; index++) {
    let char = raw[index];
    if (char === '\\') {
      // An escape must escape something inside the quotes.
      if (index + 1 >= raw.length - 1) return undefined;
      char = raw[++index];
    } else if (char === '"') {
      return undefined;
    }
    value += char;
  }
  return TOKEN.test(value) ? value : undefined;
}

/**
 * `text` cut at every `separator` outside a quoted string. An unterminated quote runs to the end
 * of the text, where the element it is in fails the grammar.
 */
function splitOutsideQuotes(text: string, separator: ',' | ';'): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '\\') index++;
      else if (char === '"') quoted = false;
    } else if (char === '"') {
      quoted = true;
    } else if (char === separator) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
