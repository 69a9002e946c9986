/**
 * A data table that scrolls sideways inside its own box on a narrow screen: the box is a named,
 * focusable region so that a keyboard can scroll it (WCAG 2.1.1; axe `scrollable-region-focusable`),
 * and the caption names the table for screen readers.
 */
import type { ReactNode } from 'react';

export function ScrollTable({ label, caption, className, children }: { label: string; caption: string; className?: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table className={className}>
        <caption className="visually-hidden">{caption}</caption>
        {children}
      </table>
    </div>
  );
}
