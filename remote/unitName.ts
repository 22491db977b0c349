/** Unit names: the one validator lives in core/systemd/unitName.ts (profiles and facts use it too). */
export * from '../core/systemd/unitName';
