import { describe, expect, it } from 'vitest';
import { PhillyInputError, parsePhillyJobs, parsePhillyVcs, parseTraceTime } from './trace.js';

const HEADER = 'timestamp,duration,num_gpus,gpu_time,cluster';

describe('philly.csv parsing', () => {
  it('reads rows, sorts by submit time, skips blank lines and filters by window', () => {
    const text = [
      HEADER,
      '2017-10-09 07:01:55,66.0,1,66.0,11cb48',
      '2017-10-07 01:11:39,193256.0,8,1546048.0,ee9e8c',
      '2017-09-29 07:58:32,860662.0,1,860662.0,6c71a0',
      '',
    ].join('\n');
    const { jobs } = parsePhillyJobs(text, 'philly.csv', { from: parseTraceTime('2017-10-01')!, to: parseTraceTime('2017-12-01')! });
    expect(jobs.map((j) => [j.line, j.vc, j.gpus, j.duration])).toEqual([
      [3, 'ee9e8c', 8, 193256],
      [2, '11cb48', 1, 66],
    ]);
    // 2017-10-07 01:11:39 UTC
    expect(jobs[0]?.submit).toBe(Date.UTC(2017, 9, 7, 1, 11, 39) / 1000);
  });

  it.each([
    { name: 'missing column', text: 'timestamp,duration,gpu_time,cluster\n2017-10-01 00:00:00,1,1,a', want: /philly\.csv line 1, column num_gpus: missing column 'num_gpus'/ },
    { name: 'non-numeric duration', text: `${HEADER}\n2017-10-01 00:00:00,abc,1,1,a`, want: /line 2, column duration: expected a number of seconds >= 0, got 'abc'/ },
    { name: 'fractional GPUs', text: `${HEADER}\n2017-10-01 00:00:00,5,1.5,1,a`, want: /line 2, column num_gpus: expected a whole number/ },
    { name: 'bad timestamp', text: `${HEADER}\n2017-13-01 00:00:00,5,1,1,a`, want: /line 2, column timestamp/ },
    { name: 'short row', text: `${HEADER}\n2017-10-01 00:00:00,5,1`, want: /line 2: expected 5 cells/ },
    { name: 'unknown VC', text: `${HEADER}\n2017-10-01 00:00:00,5,1,5,a\n2017-10-01 00:00:00,5,1,5,zzz`, want: /line 3, column cluster: unknown VC 'zzz'/ },
  ])('$name names file, line and column', ({ text, want }) => {
    expect(() => parsePhillyJobs(text, 'philly.csv', { vcs: new Set(['a']) })).toThrow(PhillyInputError);
    expect(() => parsePhillyJobs(text, 'philly.csv', { vcs: new Set(['a']) })).toThrow(want);
  });

  it('drops unknown VCs only when asked, and counts them', () => {
    const text = `${HEADER}\n2017-10-01 00:00:00,5,1,5,a\n2017-10-01 00:00:01,5,1,5,zzz\n2017-10-01 00:00:02,5,1,5,zzz`;
    const r = parsePhillyJobs(text, 'philly.csv', { vcs: new Set(['a']), dropUnknownVcs: true });
    expect(r.jobs).toHaveLength(1);
    expect(r.droppedByVc).toEqual({ zzz: 2 });
  });
});

describe('philly_vc.csv parsing', () => {
  it('reads VC node counts', () => {
    expect(parsePhillyVcs('vc,node num\n6214e9,64\ned69ec,8\n', 'vc.csv')).toEqual([
      { vc: '6214e9', nodes: 64 },
      { vc: 'ed69ec', nodes: 8 },
    ]);
  });
  it.each([
    { name: 'missing column', text: 'vc,nodes\na,1', want: /vc\.csv line 1, column node num: missing column/ },
    { name: 'non-numeric nodes', text: 'vc,node num\na,many', want: /vc\.csv line 2, column node num: expected a whole number of nodes >= 1, got 'many'/ },
    { name: 'duplicate VC', text: 'vc,node num\na,1\na,2', want: /line 3, column vc: VC 'a' is listed twice/ },
  ])('$name', ({ text, want }) => {
    expect(() => parsePhillyVcs(text, 'vc.csv')).toThrow(want);
  });
});
