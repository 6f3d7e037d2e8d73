/**
 * Colour for the `rig` CLI: on when the stream is a TTY, off with `NO_COLOR` (any
 * value, https://no-color.org), `TERM=dumb` or when piped; `FORCE_COLOR` forces it on.
 */
import { styleText } from "node:util";

type Format = Parameters<typeof styleText>[0];

/** Named styles; each is the identity when colour is off. */
export interface TerminalStyle {
  readonly enabled: boolean;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
}

/** Whether to colour output written to `stream`, by the rules above. */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

/** The styles for one stream. */
export function terminalStyle(enabled: boolean): TerminalStyle {
  const style =
    (format: Format) =>
    (text: string): string =>
      enabled ? styleText(format, text, { validateStream: false }) : text;
  return {
    enabled,
    red: style("red"),
    green: style("green"),
    yellow: style("yellow"),
    cyan: style("cyan"),
    dim: style("dim"),
    bold: style("bold"),
  };
}
