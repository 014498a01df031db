import { expect } from 'chai';
import { batchesOf, type Listed } from '../../channels/email/imap-poller.js';

const MIB = 1_048_576;
const mails = (count: number, size: number, firstUid = 1): Listed[] => Array.from({ length: count }, (_, i) => ({ uid: firstUid + i, size }));

describe('IMAP poller: pending mail split into fetch batches', () => {
  it('takes small mail 25 at a time, in UID order, every UID once', () => {
    const batches = batchesOf(mails(60, 40_000, 101), 40 * MIB);
    expect(batches.map((b) => b.length)).to.deep.equal([25, 25, 10]);
    expect(batches.flat()).to.deep.equal(mails(60, 0, 101).map((m) => m.uid));
  });

  it('bounds a batch by bytes: two 20 MiB mails are fetched apart', () => {
    expect(batchesOf(mails(3, 20 * MIB), 40 * MIB)).to.deep.equal([[1], [2], [3]]);
  });

  it('counts a mail as what is read of it: huge mail read up to 10 MiB goes three at a time', () => {
    expect(batchesOf(mails(7, 100 * MIB), 10 * MIB).map((b) => b.length)).to.deep.equal([3, 3, 1]);
  });

  it('fetches a mail larger than the byte bound alone, and the small mail around it together', () => {
    const listed: Listed[] = [
      { uid: 1, size: 1_000 },
      { uid: 2, size: 1_000 },
      { uid: 3, size: 200 * MIB },
      { uid: 4, size: 1_000 },
    ];
    expect(batchesOf(listed, 36 * MIB)).to.deep.equal([[1, 2], [3], [4]]);
  });

  it('has nothing to fetch when nothing is pending, and survives a size the server did not give sensibly', () => {
    expect(batchesOf([], MIB)).to.deep.equal([]);
    expect(batchesOf([{ uid: 9, size: -1 }], MIB)).to.deep.equal([[9]]);
  });
});
