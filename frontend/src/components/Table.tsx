// The one table of the dashboard: a scrollable wrapper, a header row from column definitions and
// a row per item. Every list of blocks, transactions, peers and nodes is drawn with it.
import type { ReactNode } from 'react';

export interface Column<T> {
  /** The header cell's content (a string, or e.g. a screen-reader-only label). */
  header: ReactNode;
  /** A column of numbers: right-aligned header and cells. */
  num?: boolean;
  /** The header's tooltip. */
  title?: string;
  /** Extra class of every cell of the column. */
  className?: string;
  /** Tooltip of every cell of the column. */
  cellTitle?: string;
  cell(row: T, index: number): ReactNode;
}

/** Attributes of a row: a class and `data-*` attributes the tests and styles select on. */
export type RowAttributes = { className?: string } & { [data: `data-${string}`]: string | number | undefined };

export interface DataTableProps<T> {
  rows: readonly T[];
  /** `false`/`null` entries are left out, for columns shown only in some cases. */
  columns: readonly (Column<T> | false | null | undefined)[];
  rowKey(row: T, index: number): string | number;
  rowAttributes?(row: T, index: number): RowAttributes;
  testid?: string;
  compact?: boolean;
  /** A caption for screen readers (not shown). */
  caption?: ReactNode;
  /** Rows drawn after the item rows (a note, a fee line). */
  extraRows?: ReactNode;
  /** The table's `<tfoot>` rows. */
  footer?: ReactNode;
}

function classes(...names: (string | false | undefined)[]): string | undefined {
  const s = names.filter(Boolean).join(' ');
  return s || undefined;
}

export function DataTable<T>({
  rows,
  columns,
  rowKey,
  rowAttributes,
  testid,
  compact,
  caption,
  extraRows,
  footer,
}: DataTableProps<T>) {
  const cols = columns.filter((c): c is Column<T> => !!c);
  return (
    <div className="table-wrap">
      <table className={compact ? 'table compact' : 'table'} data-testid={testid}>
        {caption !== undefined && <caption className="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {cols.map((c, i) => (
              <th key={i} scope="col" className={c.num ? 'num' : undefined} title={c.title}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={rowKey(row, r)} {...rowAttributes?.(row, r)}>
              {cols.map((c, i) => (
                <td key={i} className={classes(c.num && 'num', c.className)} title={c.cellTitle}>
                  {c.cell(row, r)}
                </td>
              ))}
            </tr>
          ))}
          {extraRows}
        </tbody>
        {footer && <tfoot>{footer}</tfoot>}
      </table>
    </div>
  );
}
