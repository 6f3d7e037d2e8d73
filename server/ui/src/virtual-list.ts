/**
 * A list that draws only the rows in view (fixed row height), so a run with 100,000
 * traffic entries or log lines scrolls without building 100,000 elements. It follows the
 * end while scrolled to the bottom.
 */
import { h } from "./dom.js";

export const ROW_HEIGHT = 22;

/** A scrolling window over `count` rows drawn by `row(i)`. */
export class VirtualList {
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly rows: HTMLDivElement;
  private count = 0;
  private follow = true;

  constructor(private readonly row: (index: number) => HTMLElement, className: string) {
    this.spacer = h("div", { class: "vl-spacer" });
    this.rows = h("div", { class: "vl-rows" });
    this.element = h("div", { class: `vl ${className}` }, this.spacer, this.rows);
    this.element.addEventListener("scroll", () => {
      const el = this.element;
      this.follow = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT * 2;
      this.draw();
    });
  }

  /** Sets the number of rows and redraws the visible ones. */
  update(count: number): void {
    this.count = count;
    this.spacer.style.height = `${count * ROW_HEIGHT}px`;
    if (this.follow) this.element.scrollTop = this.element.scrollHeight;
    this.draw();
  }

  private draw(): void {
    const el = this.element;
    const height = el.clientHeight || 400;
    const first = Math.max(0, Math.floor(el.scrollTop / ROW_HEIGHT) - 5);
    const last = Math.min(this.count, first + Math.ceil(height / ROW_HEIGHT) + 10);
    this.rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const drawn: HTMLElement[] = [];
    for (let i = first; i < last; i++) drawn.push(this.row(i));
    this.rows.replaceChildren(...drawn);
  }
}
