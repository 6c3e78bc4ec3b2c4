// Messages written as JSON text (src/api/views.ts messageJsonText): the shape of
// docs/protocol/api.md §3.3 exactly, every string that could need escaping escaped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageJson, messageJsonText, reactionUpdateJsonText } from '../src/api/views';
import type { Message, ReactionInfo } from '../src/store/types';

const base: Message = {
  id: 7, roomId: 1, userId: 3, sessionId: '05' + 'ab'.repeat(32), posted: 1700000000.125, edited: null,
  seqno: 12, seqnoData: 11, seqnoReactions: 12, seqnoCreation: 10,
  data: Buffer.from([1, 2, 3, 0x80, 0, 0]), signature: Buffer.alloc(64, 9), filtered: false, whisperTo: null, whisperMods: false,
};

const parsed = (text: string): unknown => JSON.parse(text);

describe('message JSON text', () => {
  it('writes a plain message with every field and no flag that is false', () => {
    assert.deepEqual(parsed(messageJsonText(base, undefined, 4)), {
      id: 7, session_id: base.sessionId, posted: 1700000000.125, seqno: 12,
      data: base.data!.toString('base64'), signature: base.signature!.toString('base64'), reactions: {},
    });
  });

  it('writes a deletion, an edit in whole seconds and whispers', () => {
    assert.deepEqual(parsed(messageJsonText({ ...base, data: null, signature: null }, undefined, 4)), {
      id: 7, session_id: base.sessionId, posted: 1700000000.125, seqno: 12, data: null, deleted: true,
    });
    const w = parsed(messageJsonText({ ...base, edited: 1700000100.9, whisperTo: '05' + 'cd'.repeat(32), whisperMods: true, signature: null }, [], 0)) as Record<string, unknown>;
    assert.equal(w['edited'], 1700000100);
    assert.equal(w['signature'], null);
    assert.deepEqual([w['whisper'], w['whisper_mods'], w['whisper_to']], [true, true, '05' + 'cd'.repeat(32)]);
    const mods = parsed(messageJsonText({ ...base, whisperMods: true }, [], 0)) as Record<string, unknown>;
    assert.deepEqual([mods['whisper'], mods['whisper_mods'], 'whisper_to' in mods], [true, true, false]);
  });

  it('escapes reactions, keeps their order and writes reactors and `you` as asked', () => {
    const reactions: ReactionInfo[] = [
      { reaction: '👍', index: 0, count: 2, reactors: ['05aa', '05bb'], you: true },
      { reaction: 'say "hi"\\\n', index: 1, count: 1, reactors: ['05cc'], you: false },
    ];
    const text = messageJsonText(base, reactions, 5);
    assert.deepEqual((parsed(text) as { reactions: unknown }).reactions, {
      '👍': { index: 0, count: 2, reactors: ['05aa', '05bb'], you: true },
      'say "hi"\\\n': { index: 1, count: 1, reactors: ['05cc'] },
    });
    assert.ok(text.indexOf('👍') < text.indexOf('say'));
    assert.deepEqual((parsed(messageJsonText(base, reactions, 0)) as { reactions: Record<string, object> }).reactions['👍'], { index: 0, count: 2, you: true });
    assert.deepEqual(parsed(reactionUpdateJsonText(base, reactions.slice(1), 0)), { id: 7, seqno: 12, reactions: { 'say "hi"\\\n': { index: 1, count: 1 } } });
  });

  it('gives the same value as an object for replies that add to it', () => {
    assert.deepEqual(messageJson(base, [], 4), parsed(messageJsonText(base, [], 4)));
  });
});
