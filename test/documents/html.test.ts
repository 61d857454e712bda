/**
 * The HTML reader reads HTML the way a browser builds it (parse5, WHATWG tree construction): what a
 * browser does not render (head, scripts, styles, templates, noscript) is not text, `<pre>` keeps
 * its whitespace, every HTML5 named character reference is decoded, malformed markup recovers as
 * in a browser, and headings give sections their heading paths.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ParsedDocument } from '../../src/documents/document.ts'
import { parsers } from '../../src/documents/index.ts'
import { parseInput } from '../helpers/documents.ts'

const parse = (html: string) => parsers.html.parse(parseInput(html))

/** Each section as [text, heading path]. */
const sectionsOf = (doc: ParsedDocument) =>
  doc.sections.map((s) => [doc.text.slice(s.start, s.end).trim(), s.headingPath?.join(' > ')])

describe('HTML reader', () => {
  it('should drop everything in head but the title, and script, style, template and noscript content', async () => {
    const doc = await parse(`<!doctype html><html><head><title>The title</title>
      <noframes>Frames are not supported by your browser</noframes>
      <script type="application/ld+json">{"headline": "json-ld"}</script>
      <style>body { color: red }</style></head>
      <body><p>Body text.</p><template><p>template text</p></template>
      <noscript>enable scripts</noscript><script>var x = 1</script><p>More.</p></body></html>`)
    assert.equal(doc.title, 'The title')
    assert.equal(doc.text, 'Body text.\n\nMore.')
  })

  it('should keep the whitespace of <pre> and collapse it elsewhere', async () => {
    const doc = await parse(
      '<p>Some   spaced\n   words.</p><pre>\nfunction f() {\n    return  1\n}\n\n// end</pre><p>After.</p>',
    )
    assert.equal(
      doc.text,
      'Some spaced words.\n\nfunction f() {\n    return  1\n}\n\n// end\n\nAfter.',
    )
  })

  it('should decode every HTML5 named character reference, with or without the semicolon where browsers do', async () => {
    const doc = await parse(
      '<p>&hellip; &NotNestedGreaterGreater; &Afr; &bigstar; &CounterClockwiseContourIntegral; ' +
        '&frac34; &fjlig; &nbsp;| &copy 2024 &amp more &notit; &#x1F600; &#169; &bogus;</p>',
    )
    assert.equal(
      doc.text,
      '… \u2AA2\u0338 \u{1D504} ★ ∳ ¾ fj \u00A0| © 2024 & more ¬it; 😀 © &bogus;',
    )
  })

  it('should read malformed HTML the way browsers do', async () => {
    const doc = await parse(
      '<title>A <b>title</b></title><p>one<p>two<!---><p>three <b>bold <i>both</b> italic</i>' +
        '<script>if (a < b) document.write("<!--")</script><p>four<p>five <a href="x>six</a>',
    )
    assert.equal(doc.title, 'A <b>title</b>')
    assert.equal(doc.text, 'one\n\ntwo\n\nthree bold both italic\n\nfour\n\nfive')
  })

  it('should give sections the heading path of h1–h6 and take the title from <title>, else the first h1', async () => {
    const doc = await parse(
      '<p>Intro.</p><h1>Guide</h1><p>a</p><h3>Deep <em>part</em></h3><p>b</p>' +
        '<h2>Install</h2><ul><li>one</li><li>two</li></ul><h2></h2><h1>Next</h1><p>c<br>d</p>',
    )
    assert.equal(doc.title, 'Guide')
    assert.deepEqual(sectionsOf(doc), [
      ['Intro.', undefined],
      ['Guide\n\na', 'Guide'],
      ['Deep part\n\nb', 'Guide > Deep part'],
      ['Install\n\none\n\ntwo', 'Guide > Install'],
      ['Next\n\nc\nd', 'Next'],
    ])
  })
})
