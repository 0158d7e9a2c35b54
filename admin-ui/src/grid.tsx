// The one table shape of the list pages: a scrolling box, a labelled grid table, a header row of column
// names (an empty name is the actions column, named for screen readers only), and the page's own rows.
import type { ComponentChildren } from 'preact';

export interface GridProps {
  /** The table's accessible name (aria-label), or the id of the heading that names it (`labelledBy`). */
  label?: string;
  labelledBy?: string;
  /** Column names in order; '' is the actions column. */
  columns: readonly string[];
  children: ComponentChildren;
}

export function Grid({ label, labelledBy, columns, children }: GridProps) {
  return (
    <div class="scroll">
      <table class="grid" aria-label={label} aria-labelledby={labelledBy}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th scope="col" key={i}>
                {c === '' ? <span class="sr-only">Actions</span> : c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
