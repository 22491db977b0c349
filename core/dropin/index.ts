/** Drop-ins: render a Plan as a systemd drop-in, parse one back, and compare normalised content. */
export { renderDropIn, renderAssignment, type DropInMeta } from './render';
export { parseDropIn, type ParsedAssignment, type ParsedUnitFile } from './parse';
export {
  normalizeDropIn,
  compareDropIns,
  type NormalizedDropIn,
  type DropInComparison,
  type DropInDifference,
} from './normalize';
export { quoteItem, splitWords, escapeSpecifiers, unescapeSpecifiers, DropInSyntaxError } from './quote';
export { optionSyntax, isItemSet, isOnePerLine, type OptionSyntax } from './syntax';
export {
  writePathItem,
  readPathItems,
  readBindMounts,
  splitPathItem,
  type BindMount,
  type PathGrammar,
  type PathItem,
} from './pathItems';
export { hushVersion } from './version';
