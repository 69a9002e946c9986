/**
 * Our own files of the GraphQL pages (graphiql.ts), served beside GraphiQL's under /graphql/ide/:
 * the stylesheet and the script that mounts GraphiQL. Files, not inline code: the pages' CSP
 * allows scripts and styles of this origin only.
 */

/**
 * GraphiQL's light palette (its `--color-*` HSL variables) with the lightness lowered where its
 * text falls short of 4.5:1 on its own background (WCAG 2.1 SC 1.4.3): field names, definitions,
 * strings, enum values, success and error text, and the GraphiQL logo link (its text is
 * translucent). The same selectors as GraphiQL's, loaded later; its dark theme's rules are more
 * specific and keep their own colours.
 */
const CONTRAST = `.graphiql-container, .CodeMirror-info, .CodeMirror-lint-tooltip, .graphiql-dialog, .graphiql-dialog-overlay, .graphiql-tooltip, [data-radix-popper-content-wrapper] {
  --color-secondary: 242, 51%, 50%;
  --color-tertiary: 188, 100%, 25%;
  --color-info: 208, 100%, 35%;
  --color-success: 158, 60%, 28%;
  --color-warning: 36, 100%, 28%;
  --color-error: 13, 93%, 42%;
}
.graphiql-container .graphiql-logo, .graphiql-container .graphiql-logo .graphiql-logo-link { color: hsl(var(--color-neutral)); }
`;

const PAGE_CSS = `html, body { height: 100%; margin: 0; }
#graphiql { height: 100vh; height: 100dvh; }
.plain { margin: 0 1rem; font-family: system-ui, sans-serif; line-height: 1.5; }
.plain pre { white-space: pre-wrap; overflow-wrap: anywhere; }
${CONTRAST}`;

/**
 * Mounts GraphiQL (its UMD build: the globals React, ReactDOM and GraphiQL) against the endpoint
 * named by the container. GraphiQL's editors are CodeMirror 5 instances whose input textareas have
 * no accessible name: each gets the name of its pane as it appears (WCAG 2.1 SC 4.1.2).
 */
const START_JS = `(function () {
  var container = document.getElementById('graphiql');
  var url = new URL(container.getAttribute('data-endpoint'), window.location.href).href;
  var defaultQuery = '# serverInfo needs no token. For the rest, add under Headers:\\n' +
    '# {"Authorization": "Bearer <access token>"}\\n\\n' +
    '{\\n  serverInfo {\\n    version\\n    mode\\n    issuer\\n  }\\n}\\n';
  var panes = [
    ['.graphiql-query-editor', 'Query'],
    ['.graphiql-editor-tool .graphiql-editor:nth-child(1)', 'Variables'],
    ['.graphiql-editor-tool .graphiql-editor:nth-child(2)', 'Headers'],
    ['.graphiql-response', 'Response'],
  ];
  function nameEditors() {
    panes.forEach(function (pane) {
      container.querySelectorAll(pane[0] + ' .CodeMirror textarea:not([aria-label])').forEach(function (input) {
        input.setAttribute('aria-label', pane[1]);
      });
    });
  }
  new MutationObserver(nameEditors).observe(container, { childList: true, subtree: true });
  container.textContent = '';
  ReactDOM.createRoot(container).render(React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: url }),
    defaultQuery: defaultQuery,
  }));
})();
`;

export const OWN_FILES: ReadonlyMap<string, { type: string; body: string }> = new Map([
  ['page.css', { type: 'text/css; charset=utf-8', body: PAGE_CSS }],
  ['start.js', { type: 'text/javascript; charset=utf-8', body: START_JS }],
]);
