// e2e: two hundred random user actions on a seeded schedule (links, presets, field edits, play /
// pause / step / reset / Space, reloads) against the production build. After every action: no page
// error, the address bar holds the editor's experiment, the run the charts show is one the editor
// describes (same experiment, a seed of its sweep), and no run that was listed has disappeared.
import { expect, type Locator, type Page, test } from '@playwright/test';
import { seededUniform } from '../src/experiment/syntheticRun';
import { parseExperimentHash, serializeExperiment } from '../src/experiment/url';

/** Tiny experiments, so the runs the schedule starts finish or pause quickly on the CPU engine. */
const TINY = 'prompts=1&group=2&minibatch=2&maxtokens=8&evalsize=2&avgk=1&evalevery=0&steps=3';
const LINKS = [
  `#v=1&${TINY}&reward=random&seed=3`,
  `#v=1&${TINY}&reward=ground_truth&model=llama-tiny`,
  `#v=1&${TINY}&reward=format&seeds=2`,
  `#v=1&${TINY}&reward=random&clip=none&seed=5`,
  '#v=1&group=abc&steps=-1', // a link with problems: banner, defaults used
];

/** The experiment without its seed and sweep size, canonical (defaults written or not): what must agree. */
function identity(hash: string): string {
  const { config } = parseExperimentHash(hash);
  return serializeExperiment({ ...config, seed: 0, seeds: 1 });
}

async function checkInvariants(page: Page, errors: string[], listed: Set<string>, what: string) {
  expect(errors, `page errors after ${what}`).toEqual([]);
  const main = page.getByTestId('lab-main');
  await expect(main).toBeVisible();
  const experiment = (await main.getAttribute('data-experiment')) ?? '';
  const shown = (await main.getAttribute('data-shown-run')) ?? '';
  const comparing = (await main.getAttribute('data-comparing')) === 'yes';
  // The address bar follows the editor (a refused value on screen never reaches either).
  const hash = await page.evaluate(() => location.hash.slice(1));
  if (hash) expect(identity(hash), `URL vs editor after ${what}`).toBe(identity(experiment));
  if (shown && !comparing)
    expect(identity(shown), `shown run vs editor after ${what}`).toBe(identity(experiment));
  // Runs never vanish from the list (nothing in the schedule deletes one).
  const ids = await page
    .getByTestId('run-row')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id')));
  if (ids.length) for (const id of listed) expect(ids, `run ${id} lost after ${what}`).toContain(id);
  for (const id of ids) if (id) listed.add(id);
}

test('two hundred random actions keep the editor, the URL and the shown run in agreement', async ({
  page,
}) => {
  test.setTimeout(900_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('404')) errors.push(m.text());
  });
  page.on('dialog', (d) => void d.accept());
  // A seeded schedule (mulberry32), so a failure replays exactly.
  const random = seededUniform(20261206);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const listed = new Set<string>();
  await page.goto(`./${LINKS[0]}`);
  await expect(page.getByTestId('lab-app')).toBeVisible();

  /**
   * Clicks a control that was enabled a moment ago. A run can start or end in between (Step turns
   * disabled, Pause goes away): then the click is moot, not a failure. Without this, Playwright waited
   * for the control to become clickable again, which a 100-step preset run made a 15-minute hang.
   */
  const clickIfStillThere = async (control: Locator) => {
    await control.click({ timeout: 5_000 }).catch(async (err) => {
      if ((await control.count()) && (await control.isEnabled())) throw err;
    });
  };
  const actions: [string, () => Promise<void>][] = [
    ['open a link', async () => page.goto(`./${pick(LINKS)}`).then(() => undefined)],
    ['reload', async () => page.reload().then(() => undefined)],
    [
      'play',
      async () => {
        const play = page.getByRole('button', { name: '▶ Play' });
        if (await play.isEnabled().catch(() => false)) await clickIfStillThere(play);
      },
    ],
    [
      'pause',
      async () => {
        const pause = page.getByRole('button', { name: '❚❚ Pause' });
        if (await pause.count()) await clickIfStillThere(pause);
      },
    ],
    [
      'step',
      async () => {
        const step = page.getByRole('button', { name: 'Step' });
        if (await step.isEnabled()) await clickIfStillThere(step);
      },
    ],
    ['reset', async () => page.getByRole('button', { name: 'Reset' }).click()],
    [
      'space',
      async () => {
        await page.locator('body').click({ position: { x: 5, y: 5 } });
        await page.keyboard.press(' ');
      },
    ],
    [
      'edit group size',
      async () => {
        await page.getByRole('tab', { name: 'Experiment' }).click();
        const group = page.locator('[data-field="groupSize"] input');
        if (!(await group.isEnabled())) return;
        await group.fill(pick(['2', '4', '1', 'x', '8']));
        await group.press('Enter');
      },
    ],
    [
      'open a preset',
      async () => {
        await page.getByRole('tab', { name: 'Presets' }).click();
        const links = page.locator('a.preset-link');
        await links.nth(Math.floor(random() * (await links.count()))).click();
      },
    ],
    [
      'show a listed run',
      async () => {
        await page.getByRole('tab', { name: 'Runs' }).click();
        const radios = page.getByTestId('run-row').locator('input[type="radio"]');
        const n = await radios.count();
        if (n) await radios.nth(Math.floor(random() * n)).check();
      },
    ],
  ];
  // Reloads and new links cost seconds each (the page starts over): they come a quarter as often.
  const weighted = actions.flatMap((a) => (a[0] === 'reload' || a[0] === 'open a link' ? [a] : [a, a, a, a]));
  for (let i = 0; i < 200; i++) {
    const [name, act] = pick(weighted);
    await act();
    await page.waitForTimeout(Math.floor(random() * 150));
    await checkInvariants(page, errors, listed, `action ${i} (${name})`);
  }
});
