import { coversSensitiveRoot, isUnder, mergePaths, minimalCover, parentDir } from './paths';

describe('path helpers', () => {
  it('isUnder compares whole components', () => {
    expect(isUnder('/var/lib/x', '/var')).toBe(true);
    expect(isUnder('/var', '/var')).toBe(true);
    expect(isUnder('/varx', '/var')).toBe(false);
    expect(isUnder('/anything', '/')).toBe(true);
  });

  it('parentDir', () => {
    expect(parentDir('/var/lib/x')).toBe('/var/lib');
    expect(parentDir('/etc')).toBe('/');
    expect(parentDir('/')).toBe('/');
  });

  it('minimalCover drops covered entries and sorts', () => {
    expect(minimalCover(['/srv/a/b', '/srv/a', '/etc/x', '/srv/a'])).toEqual(['/etc/x', '/srv/a']);
  });

  it('coversSensitiveRoot', () => {
    expect(coversSensitiveRoot('/var/lib')).toBe(true);
    expect(coversSensitiveRoot('/var')).toBe(true);
    expect(coversSensitiveRoot('/var/lib/app')).toBe(false);
  });
});

describe('mergePaths', () => {
  it('keeps short lists as they are', () => {
    expect(mergePaths(['/srv/app/a', '/srv/app/b'], 5)).toEqual(['/srv/app/a', '/srv/app/b']);
  });

  it('folds siblings into their parent above the threshold, the largest family first', () => {
    const paths = ['/srv/app/a', '/srv/app/b', '/srv/app/c', '/srv/web/x', '/srv/web/y', '/opt/z/1'];
    expect(mergePaths(paths, 3)).toEqual(['/opt/z/1', '/srv/app', '/srv/web']);
  });

  it('never merges into a sensitive root: /var/lib/x + /var/lib/y stay apart', () => {
    const paths = ['/var/lib/a', '/var/lib/b', '/var/lib/c', '/var/lib/d'];
    expect(mergePaths(paths, 1)).toEqual(paths);
    expect(mergePaths(['/etc/a', '/etc/b', '/tmp/x', '/tmp/y'], 1)).toEqual([
      '/etc/a',
      '/etc/b',
      '/tmp/x',
      '/tmp/y',
    ]);
  });

  it('is deterministic whatever the input order', () => {
    const paths = ['/srv/b/1', '/srv/a/1', '/srv/a/2', '/srv/b/2', '/srv/c/1', '/srv/c/2'];
    const once = mergePaths(paths, 2);
    expect(mergePaths([...paths].reverse(), 2)).toEqual(once);
    expect(once).toEqual(['/srv/a', '/srv/b', '/srv/c']);
  });
});
