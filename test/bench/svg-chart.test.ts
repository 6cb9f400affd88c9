import { expect } from 'chai';
import { escapeXml, formatTick, lineChart, type LineChartSpec } from '../../bench/svg-chart.js';

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * A strict little XML reader, enough for what lineChart writes: one root element, an optional
 * declaration, no comments or CDATA. Throws on anything ill-formed (unbalanced or mismatched
 * tags, unquoted or repeated attributes, a bare '&' or '<' in text) rather than recovering.
 */
function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${i}: ${JSON.stringify(src.slice(i, i + 40))}`);
  };
  const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\t' || c === '\r';
  const skipSpace = () => {
    while (isSpace(src[i])) i++;
  };
  const isNameChar = (c: string | undefined) => c !== undefined && !isSpace(c) && !'<>/="\'&'.includes(c);
  const readName = (): string => {
    const start = i;
    while (isNameChar(src[i])) i++;
    if (i === start) fail('expected a name');
    return src.slice(start, i);
  };
  const decode = (raw: string): string => {
    let out = '';
    for (let k = 0; k < raw.length; k++) {
      const c = raw[k];
      if (c === '<') fail('raw < in text');
      if (c !== '&') {
        out += c;
        continue;
      }
      const end = raw.indexOf(';', k);
      const entity = end < 0 ? undefined : ENTITIES[raw.slice(k + 1, end)];
      if (entity === undefined) fail(`bad entity in ${JSON.stringify(raw)}`);
      out += entity;
      k = end;
    }
    return out;
  };
  const readElement = (): XmlElement => {
    if (src[i] !== '<') fail('expected <');
    i++;
    const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
    for (;;) {
      const hadSpace = isSpace(src[i]);
      skipSpace();
      if (src.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      if (!hadSpace) fail('attributes must be separated by space');
      const name = readName();
      if (name in el.attrs) fail(`repeated attribute ${name}`);
      if (src[i] !== '=') fail('expected =');
      i++;
      const quote = src[i];
      if (quote !== '"' && quote !== "'") fail('unquoted attribute');
      const end = src.indexOf(quote, i + 1);
      if (end < 0) fail('unterminated attribute');
      el.attrs[name] = decode(src.slice(i + 1, end));
      i = end + 1;
    }
    for (;;) {
      const next = src.indexOf('<', i);
      if (next < 0) fail(`unclosed <${el.name}>`);
      el.text += decode(src.slice(i, next));
      i = next;
      if (src.startsWith('</', i)) {
        i += 2;
        const name = readName();
        if (name !== el.name) fail(`</${name}> closes <${el.name}>`);
        skipSpace();
        if (src[i] !== '>') fail('expected >');
        i++;
        return el;
      }
      el.children.push(readElement());
    }
  };
  if (src.startsWith('<?xml')) {
    const end = src.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    i = end + 2;
  }
  skipSpace();
  const root = readElement();
  skipSpace();
  if (i !== src.length) fail('content after the root element');
  return root;
}

function all(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
}

function textOf(el: XmlElement): string {
  return (
    el.text +
    el.children
      .filter((c) => c.name !== 'title')
      .map(textOf)
      .join('')
  );
}

function polylinePoints(el: XmlElement): Array<[number, number]> {
  const list = el.attrs.points.trim();
  if (list === '') return [];
  return list.split(' ').map((pair) => {
    const [x, y] = pair.split(',').map(Number);
    return [x, y];
  });
}

const POWERS_OF_TWO = Array.from({ length: 14 }, (_, k) => 2 ** k); // 1 .. 8192

function benchLikeSpec(count: number): LineChartSpec {
  return {
    title: 'Lift <fused> & "per-op" — H = 8',
    xLabel: 'poses per call',
    yLabel: "poses/s (it's the median)",
    logX: true,
    logY: true,
    series: Array.from({ length: count }, (_, s) => ({
      name: s === 0 ? 'onnx <webgpu> & co' : `contestant ${s}`,
      dashed: s % 2 === 1,
      points: POWERS_OF_TWO.map((x, k) => [x, 0.1 * 10 ** ((7 * k) / 13) * (1 + s / 10)] as [number, number]),
    })),
  };
}

describe('lineChart (SVG)', () => {
  it('writes well-formed XML with one polyline per series, every name and the title escaped', () => {
    for (const count of [1, 3, 8]) {
      const spec = benchLikeSpec(count);
      const svg = lineChart(spec);
      const root = parseXml(svg);
      expect(root.name).to.equal('svg');
      expect(root.attrs.xmlns).to.equal('http://www.w3.org/2000/svg');
      expect(svg).to.include(escapeXml(spec.title)).and.include('Lift &lt;fused&gt; &amp; &quot;per-op&quot;');
      expect(svg).to.not.include('<fused>');
      const texts = all(root, 'text').map(textOf);
      expect(texts).to.include(spec.title).and.include(spec.xLabel).and.include(spec.yLabel);
      const titles = all(root, 'title').map((t) => t.text);
      for (const s of spec.series) expect(titles, s.name).to.include(s.name);
      const polylines = all(root, 'polyline');
      expect(polylines).to.have.length(count);
      for (const p of polylines) expect(polylinePoints(p)).to.have.length(POWERS_OF_TWO.length);
      const colours = new Set(polylines.map((p) => p.attrs.stroke));
      expect(colours.size).to.equal(count);
      expect(polylines.filter((p) => p.attrs['stroke-dasharray'] !== undefined)).to.have.length(Math.floor(count / 2));
    }
  });

  it('labels log axes at powers of ten as 1, 10, 100, 1k and 0.1 .. 1M', () => {
    const labels = all(parseXml(lineChart(benchLikeSpec(2))), 'text').map(textOf);
    expect(labels).to.include.members(['1', '10', '100', '1k', '0.1', '1', '10', '1k', '10k', '100k', '1M']);
    expect(formatTick(8192)).to.equal('8.19k');
    expect(formatTick(999.9)).to.equal('1k');
    expect(formatTick(2.5e6)).to.equal('2.5M');
    expect(formatTick(0.005)).to.equal('0.005');
    expect(formatTick(1e-6)).to.equal('1e-6');
    expect(formatTick(0.1 + 0.2)).to.equal('0.3');
  });

  it('places points monotonically on log axes, equal ratios at equal distances', () => {
    const root = parseXml(lineChart(benchLikeSpec(1)));
    const pts = polylinePoints(all(root, 'polyline')[0]);
    for (let k = 1; k < pts.length; k++) {
      expect(pts[k][0], `x of point ${k}`).to.be.greaterThan(pts[k - 1][0]);
      expect(pts[k][1], `y of point ${k} (SVG y grows downwards)`).to.be.lessThan(pts[k - 1][1]);
    }
    // x doubles and y grows by the same factor at every step: constant pixel steps on log axes.
    const dx = pts[1][0] - pts[0][0];
    const dy = pts[1][1] - pts[0][1];
    for (let k = 2; k < pts.length; k++) {
      expect(pts[k][0] - pts[k - 1][0]).to.be.closeTo(dx, 0.02);
      expect(pts[k][1] - pts[k - 1][1]).to.be.closeTo(dy, 0.02);
    }
  });

  it('skips non-finite points and, on log axes, non-positive ones', () => {
    const bad: Array<[number, number]> = [
      [1, 10],
      [0, 5],
      [2, -1],
      [3, 0],
      [NaN, 1],
      [4, Infinity],
      [8, 80],
      [-Infinity, 2],
      [16, 160],
    ];
    const spec = (logX: boolean, logY: boolean): LineChartSpec => ({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      logX,
      logY,
      series: [
        { name: 'a', points: bad },
        { name: 'empty', points: [[NaN, NaN]] },
      ],
    });
    const expected: Array<[boolean, boolean, number]> = [
      [true, true, 3],
      [true, false, 5],
      [false, true, 4],
      [false, false, 6],
    ];
    for (const [logX, logY, n] of expected) {
      const svg = lineChart(spec(logX, logY));
      expect(svg, `logX ${logX} logY ${logY}`).to.not.match(/NaN|Infinity/);
      const polylines = all(parseXml(svg), 'polyline');
      expect(
        polylines.map((p) => polylinePoints(p).length),
        `logX ${logX} logY ${logY}`,
      ).to.deep.equal([n, 0]);
    }
  });

  it('draws linear axes, a single point, no series and hostile text without breaking the document', () => {
    const cases: LineChartSpec[] = [
      {
        title: 'linear',
        xLabel: 'x',
        yLabel: 'y',
        series: [
          {
            name: 's',
            points: [
              [-3, 2],
              [0, -1.5],
              [7, 0.25],
            ],
          },
        ],
      },
      {
        title: 'one point',
        xLabel: 'x',
        yLabel: 'y',
        logX: true,
        logY: true,
        series: [{ name: 's', points: [[64, 64]] }],
      },
      { title: 'nothing', xLabel: 'x', yLabel: 'y', logY: true, series: [] },
      {
        title: ']]> <!-- \u0001 &amp;',
        xLabel: '<x>',
        yLabel: "'y'",
        series: [
          {
            name: '</svg>',
            points: [
              [1, 1],
              [2, 2],
            ],
          },
        ],
      },
    ];
    for (const spec of cases) {
      const svg = lineChart(spec);
      expect(svg).to.not.match(/NaN|Infinity/);
      const root = parseXml(svg);
      expect(all(root, 'polyline')).to.have.length(spec.series.length);
      expect(
        all(root, 'text')
          .filter((t) => t.attrs.class !== undefined)
          .map(textOf),
      ).to.include(spec.title.replace('\u0001', ''));
    }
  });
});
