// The playground: a MiniMath question, wrapped in the chat prompt of src/tasks/format.ts, completed
// greedily by our engine and by ONNX Runtime, side by side. Greedy decoding on the same weights should
// give the same text; when it does not, both are there to compare. Each runtime's error is its own.
import { useEffect, useState } from 'react';
import { responseBody } from '../../tasks/format';
import { describeError } from './checkpointChoice';
import { loadModelTools } from './loadModelTools';
import type { ToolModel } from './modelTools';
import { ToolsSection } from './ToolsSection';

/** A MiniMath question of the generator's shape (randomProblem(new Random(1, 0))). */
const DEFAULT_QUESTION = 'What is 1*(4+4)?';
const MAX_NEW_TOKENS = 96;

type Side =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'done'; text: string; detail: string }
  | {
      state: 'error';
      message: string;
    };

export function PlaygroundSection({ model }: { model: ToolModel }) {
  const [question, setQuestion] = useState(DEFAULT_QUESTION);
  const [engineSide, setEngineSide] = useState<Side>({ state: 'idle' });
  const [ortSide, setOrtSide] = useState<Side>({ state: 'idle' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: completions belong to the model they came from
  useEffect(() => {
    setEngineSide({ state: 'idle' });
    setOrtSide({ state: 'idle' });
  }, [model]);

  const complete = async () => {
    setEngineSide({ state: 'running' });
    setOrtSide({ state: 'running' });
    let tools: Awaited<ReturnType<typeof loadModelTools>>;
    try {
      tools = await loadModelTools();
    } catch (error) {
      const failed: Side = { state: 'error', message: describeError(error) };
      setEngineSide(failed);
      setOrtSide(failed);
      return;
    }
    // One after the other: on a software GPU the two would only slow each other down.
    try {
      const done = await tools.completeWithEngine(model, question, MAX_NEW_TOKENS);
      setEngineSide({ state: 'done', text: done.text, detail: `${done.ms.toFixed(0)} ms` });
    } catch (error) {
      setEngineSide({ state: 'error', message: describeError(error) });
    }
    try {
      const done = await tools.completeWithOrtRuntime(model, question, MAX_NEW_TOKENS);
      const unknown = done.unknownCharacters.length
        ? ` · unknown characters: ${done.unknownCharacters.join(' ')}`
        : '';
      setOrtSide({
        state: 'done',
        text: done.text,
        detail: `${done.executionProvider} · ${done.ms.toFixed(0)} ms${unknown}`,
      });
    } catch (error) {
      setOrtSide({ state: 'error', message: describeError(error) });
    }
  };
  const running = engineSide.state === 'running' || ortSide.state === 'running';
  const same =
    engineSide.state === 'done' && ortSide.state === 'done'
      ? responseBody(engineSide.text) === responseBody(ortSide.text)
      : null;

  return (
    <ToolsSection id="playground" title="Playground" level={3}>
      <form
        className="tools-row"
        onSubmit={(e) => {
          e.preventDefault();
          void complete();
        }}
      >
        <label htmlFor="tools-question" className="visually-hidden">
          MiniMath question
        </label>
        <input
          id="tools-question"
          data-testid="tools-question"
          className="tools-question"
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
          placeholder="What is 3+4*2?"
        />
        <button type="submit" data-testid="tools-complete" disabled={running || !question.trim()}>
          {running ? '…' : 'Complete'}
        </button>
      </form>
      <div className="tools-completions">
        <CompletionBox title="Our engine" side={engineSide} testId="tools-completion-engine" />
        <CompletionBox title="ONNX Runtime" side={ortSide} testId="tools-completion-ort" />
      </div>
      {same !== null && (
        <p className={same ? 'tools-ok' : 'tools-warn'} data-testid="tools-completion-verdict">
          {same ? '✓ Identical greedy completions.' : 'The greedy completions differ.'}
        </p>
      )}
    </ToolsSection>
  );
}

function CompletionBox({ title, side, testId }: { title: string; side: Side; testId: string }) {
  return (
    <div className="tools-completion" data-testid={testId} data-state={side.state}>
      <div className="tools-completion-title">{title}</div>
      {side.state === 'running' && <div className="tools-muted">generating…</div>}
      {side.state === 'done' && (
        <>
          <pre className="tools-completion-text">{responseBody(side.text)}</pre>
          <div className="tools-muted">{side.detail}</div>
        </>
      )}
      {side.state === 'error' && (
        <p className="tools-error" role="alert">
          {side.message}
        </p>
      )}
    </div>
  );
}
