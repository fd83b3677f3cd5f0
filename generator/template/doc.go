// Package template renders Amazon Kinesis Data Generator (KDG) record
// templates: faker.js's faker.fake (the 2017 bundle the KDG ships) plus the
// KDG's own helpers, reimplemented so that a template written for the KDG
// gives the same kind of records here.
//
// # The language
//
// Parse cleans a template as the KDG does: it trims it, deletes every line
// break and replaces the first "{{current.timestamp}}", and only the first,
// with "{{date.now}}". (The KDG deletes "\n" from a textarea's value, in
// which browsers have already turned "\r\n" and "\r" into "\n".)
//
// Execute then runs faker.fake's loop: find the first "{{" and the first
// "}}" of the whole record, evaluate the placeholder between them, replace
// it, and start again on the whole result, so a value that contains a
// placeholder is evaluated too (at most 10,000 placeholders per record).
// The loop ends when the record has no "{{" or no "}}" left, so a lone "{{"
// after the last placeholder stays as it is.
//
// A placeholder is {{module.method}} or {{module.method(ARG)}}. ARG is the
// text from the first "(" followed by at least one character up to the
// first ")"; it is read as JSON and, when it is not JSON, passed as the raw
// text, so {{date.now(YYYY-MM-DD)}} and {{date.now("YYYY-MM-DD")}} are the
// same. An empty argument (or "") calls the helper without one; "()" is not
// an argument list, so {{date.now()}} names a method "now()" and is an
// error. Since the placeholder ends at the first "}}" and the argument at
// the first ")", write those inside a JSON string as \u007d\u007d and
// \u0029; that is also how a value can carry a placeholder:
// {{random.arrayElement(["\u007b\u007brandom.number(5\u0029\u007d\u007d"])}}
// renders a number from 0 to 5.
//
// The replacement follows String.prototype.replace: "$$", "$&", "$`" and
// "$'" in a value are expanded. A record that renders to nothing becomes
// "string parameter is required!", as in the KDG.
//
// Parse reports, with the line and column in the original text, what would
// make the KDG fail or print nonsense: unknown modules and methods, "()",
// spaces inside the braces, a third name level (faker would ignore it), a
// "{{" left open, a "}}" before a placeholder (faker pairs it with the next
// "{{" and fails with "Invalid module: "), and arguments a helper cannot
// use (random.number("abc") prints NaN in the KDG).
//
// # Numbers
//
// Every number a helper returns is printed as JavaScript's Number
// toString prints it: the shortest digits that read back as the same
// float64, no ".0" on integers, exponent form from 1e21 up and below 1e-6
// (1e+21, 1e-7). random.number computes precision * floor(...) in float64
// exactly as faker does, and its maximum is inclusive only when it is >= 0
// (faker adds one precision step to a non-negative maximum). So with
// "precision":0.01 a value prints with at most two decimals except when the
// float64 product does not, e.g. 0.5700000000000001, which is what the KDG
// prints for the same draw. Decimals faker formats with toFixed
// (latitude, prices, IPs) use toFixed's rounding.
//
// # What differs from the KDG
//
// The random source is a PCG generator seeded by NewFaker instead of
// faker's Mersenne Twister and Math.random, so values differ while their
// ranges, formats and the order of draws inside a helper are faker's.
// Names, places, countries, companies, job words, hacker words and lorem
// words come from gofakeit's English lists; commerce words, phone formats,
// postcodes, counties, account and transaction types, hacker phrases,
// locales and image categories are faker's own. Helpers that only
// approximate faker's output:
//
//   - internet.userAgent is gofakeit's generated user agent, not faker's
//     random-ua; both give "Mozilla/5.0 (…) …"-style strings.
//   - internet.avatar and image.avatar build the uifaces URL faker's list
//     holds (https://s3.amazonaws.com/uifaces/faces/twitter/NAME/128.jpg)
//     from generated names.
//   - internet.session is a uniform float in [1007199254740991, 2^53-1).
//   - finance.currencySymbol knows the symbols of about thirty major
//     currencies; finance.currencyName uses gofakeit's names.
//   - system.mimeType, system.fileType and system.fileExt use gofakeit's
//     MIME and extension lists; fileExt(type) knows the extensions of the
//     nine types commonFileExt draws from and returns any extension else.
//   - system.directoryPath and system.filePath return undefined in the
//     KDG's bundle (the record shows "undefined"); here a Unix path.
//   - helpers.createCard, contextualCard, userCard and createTransaction
//     return objects, which the KDG prints as "[object Object]"; here they
//     are JSON with faker's fields in faker's order, compact except for a
//     space between two closing braces: faker.fake would take a "}}" in
//     the record for the end of the next placeholder.
//   - date.between(from, to) gets one argument from faker.fake, so the KDG
//     always prints "Invalid Date"; here its argument is [from, to] (ISO
//     8601 dates or epoch milliseconds).
//   - date.simTime uses its format; the KDG's ignores it (and fails unless
//     it is the first placeholder). It prints the clock given to Execute.
//   - random.alphaNumeric(n) returns n characters as faker 3.1 and later
//     do; the KDG's bundle ignores n and returns one.
//   - date.past, date.future, date.recent and date.between print like
//     Date.prototype.toString ("Fri Nov 27 2026 08:15:00 GMT+0000
//     (Coordinated Universal Time)") in the zone of the clock given to
//     Execute; outside UTC the name in parentheses is Go's abbreviation
//     where a browser writes a long name.
//   - Date formats are moment.js 2.17's with its English locale; without
//     moment-timezone the z token prints "UTC" in date.utc and nothing else.
//
// Quirks of the KDG that are kept: address.streetPrefix is "a", "b" or "c"
// (faker's English locale has no street prefixes), finance.mask is digits
// only, random.weightedArrayElement prints "undefined" when the draw falls
// past its total rounded to cents, lorem.paragraphs separates paragraphs
// with "\n \r", and date.utc's default format ends in "Z" where date.now's
// ends in an offset like "+00:00".
package template
