"""A reusable browser check: interactive elements smaller than 44×44 CSS px (WCAG 2.5.5, the issue's
"made for thumbs").

    from tests.e2e.sizes import small_targets
    assert small_targets(page) == []            # the whole page
    assert small_targets(page, "main") == []    # only the page's own content (not the site's header)

An element counts when it is visible and focusable or clickable: links, buttons, inputs, selects,
textareas, summaries, [role=button|link|checkbox|radio|tab|menuitem], [tabindex>=0]. Its target is its
own box, or the box of the label that wraps it or points at it (a checkbox in a 44 px tall label row
passes), or of the parent that it fills. Set aside, as WCAG 2.5.5 does: links inside a sentence
(inline links whose parent holds other text), hidden inputs, elements outside the viewport's width
(scrolled tables are checked where they are), and what the page marks ``data-size-exempt``.
"""

from __future__ import annotations

MIN = 44

_SCRIPT = """
([root, min]) => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=link],'
            + ' [role=checkbox], [role=radio], [role=tab], [role=menuitem], [tabindex]:not([tabindex="-1"])';
  const out = [];
  const visible = (el) => {
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none' || Number(s.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const inSentence = (el) => {
    if (el.tagName !== 'A') return false;
    const display = getComputedStyle(el).display;
    if (display !== 'inline') return false;
    const parent = el.parentElement;
    if (!parent) return false;
    const own = [...parent.childNodes].filter((n) => n !== el)
      .map((n) => (n.nodeType === 3 ? n.textContent : (n.innerText || ''))).join('').replace(/[\\s·|,.;:()–-]+/g, '');
    return own.length > 0;
  };
  const box = (el) => {
    let r = el.getBoundingClientRect();
    let w = r.width, h = r.height;
    const labels = el.labels ? [...el.labels] : [];
    const wrap = el.closest('label');
    if (wrap && !labels.includes(wrap)) labels.push(wrap);
    for (const label of labels) {
      if (!visible(label)) continue;
      const lr = label.getBoundingClientRect();
      // The label and the control together (a checkbox row): their common box.
      const left = Math.min(r.left, lr.left), right = Math.max(r.right, lr.right);
      const top = Math.min(r.top, lr.top), bottom = Math.max(r.bottom, lr.bottom);
      const parent = label.parentElement && label.parentElement.contains(el) ? label.parentElement.getBoundingClientRect() : null;
      w = Math.max(w, right - left, parent ? parent.width : 0);
      h = Math.max(h, bottom - top, parent ? parent.height : 0);
    }
    return [w, h];
  };
  for (const el of (document.querySelector(root) || document.body).querySelectorAll(sel)) {
    if (el.closest('[data-size-exempt]') || !visible(el) || inSentence(el)) continue;
    if (el.closest('.skip-link') || el.classList.contains('skip-link')) continue;
    const r = el.getBoundingClientRect();
    if (r.right <= 0 || r.left >= window.innerWidth + 1 && !el.closest('.table-responsive')) continue;
    const [w, h] = box(el);
    if (w + 0.5 < min || h + 0.5 < min) {
      const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || el.id || '').trim();
      const id = el.id ? '#' + el.id : '';
      const cls = el.classList.length ? '.' + [...el.classList].slice(0, 3).join('.') : '';
      out.push({tag: el.tagName.toLowerCase() + id + cls, text: text.slice(0, 40), width: Math.round(w), height: Math.round(h)});
    }
  }
  return out;
}
"""


def small_targets(page, root: str = "body", minimum: int = MIN) -> list[dict]:
    """The interactive elements under ``root`` (a CSS selector) smaller than ``minimum`` CSS px either
    way, as ``{"tag", "text", "width", "height"}`` (an empty list when every target is big enough)."""
    return page.evaluate(_SCRIPT, [root, minimum])
