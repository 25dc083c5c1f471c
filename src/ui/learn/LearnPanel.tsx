// The Learn panel for classrooms: the paper's claim in a paragraph, the clip-bias mechanism as an
// interactive plot, a live toy of the mechanism over 40 seeds, and links to the presets that show what
// the lab's models do in a live run.
import { presetById, presetHash } from '../../experiment/presets';
import { useLabStore } from '../store/labStore';
import { ClipBiasPlot } from './ClipBiasPlot';
import { StyleToyPanel } from './StyleToyPanel';

const LINKED_PRESETS = ['mechanism-clip', 'mechanism-no-clip', 'mechanism-large-lr', 'random-llama'];

export function LearnPanel() {
  const hidden = useLabStore((s) => s.hiddenKeys);
  return (
    <div className="learn" data-testid="learn-panel">
      <h3>What the paper claims</h3>
      <p>
        Shao et al. (2025) trained Qwen2.5-Math-7B with GRPO on math problems and found that MATH-500 accuracy
        rose even when the reward carried no information about correctness: +21.4 points with a random reward,
        +24.1 with rewards for wrong answers, against +29.1 with the true answer. The same rewards did little
        or harm for Llama and OLMo models. Their explanation is the clip term of the PPO/GRPO objective: it
        makes updates favour what the model already does often, and for Qwen-Math that is "code reasoning"
        (writing Python without running it), which is right more often than its plain-language answers. Code
        frequency rose from 65% to over 90%.
      </p>
      <h3>Why clipping favours likely tokens</h3>
      <ClipBiasPlot />
      <p className="learn-note">
        The clip only acts when a rollout batch is reused for several updates (π ≠ π_old), and only on a token
        whose ratio leaves [1−ε, 1+ε] within one batch. What the lab's tiny models showed in two
        pre-registered studies (8 seeds per arm; docs/science.md in the lab's repository): at a learning rate
        where the real reward still teaches (2e-4), a random reward moved the style logit 0.006 per update,
        the clip acted at the style decision once in 102,400 tokens, and the greedy code share did not change
        in any seed — the clip only held accuracy up (+6.9 points against no clip). At a learning rate where
        the style can move (2e-3), the arithmetic collapsed before anything else, with 8 prompts per step and
        with the paper's 64. The paper's rise in code frequency has not appeared here; the toy below shows
        what it would take.
      </p>
      <h3>A toy of the mechanism: 40 seeds, live</h3>
      <StyleToyPanel />
      <ul className="learn-presets">
        {LINKED_PRESETS.map((id) => {
          const preset = presetById(id);
          if (!preset) return null;
          return (
            <li key={id}>
              <a href={`#${presetHash(preset, hidden)}`} data-preset={id}>
                {preset.title}
              </a>{' '}
              — {preset.explanation}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
