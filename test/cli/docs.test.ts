import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FORMATS } from '../../src/pose/formats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The user documentation: README.md and the committed Markdown of docs/ and examples/. */
const DOCS = [
  'README.md',
  ...execFileSync('git', ['ls-files', 'docs/*.md', 'examples/*.md'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean),
];

describe('documentation', () => {
  it('links (and `.md` references) in the docs stay inside the repository and exist', () => {
    for (const doc of DOCS) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      const targets = [
        ...[...text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/i.test(t)),
        ...[...text.matchAll(/`(\.{0,2}\/?[\w./-]+\.md)`/g)].map((m) => m[1]),
      ];
      for (const t of targets) {
        // Relative to the document; a bare `docs/x.md` may also mean the repository root.
        const paths = [resolve(ROOT, doc, '..', t), ...(/^\.{1,2}\//.test(t) ? [] : [resolve(ROOT, t)])];
        for (const path of paths)
          expect(relative(ROOT, path).startsWith('..'), `${doc}: ${t} points outside the repository`).to.equal(false);
        expect(
          paths.some((path) => existsSync(path)),
          `${doc}: ${t} does not exist`,
        ).to.equal(true);
      }
    }
  });

  it("docs/formats.md gives every keypoint format's full joint order", () => {
    const text = readFileSync(join(ROOT, 'docs/formats.md'), 'utf8');
    for (const f of Object.values(FORMATS)) {
      const at = text.indexOf(`### ${f.name}\n`);
      expect(at, `a "### ${f.name}" section`).to.be.at.least(0);
      const section = text.slice(at, text.indexOf('\n###', at + 1) >= 0 ? text.indexOf('\n###', at + 1) : undefined);
      for (let k = 0; k < f.keypoints; k++)
        expect(section, `${f.name} keypoint ${k}`).to.match(new RegExp(`(^|[\\s,(])${k} [a-z]`, 'm'));
    }
  });
});
