// Audit actions are declared once each, next to the rule that records them (auditAction()).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { auditAction } from '../src/domain/audit';
import '../src/domain/bans';

it('an audit action is declared once: a second declaration of a name throws', () => {
  assert.throws(() => auditAction('ban'), /audit action ban is declared twice/);
  assert.equal(auditAction('test.declared-once'), 'test.declared-once');
  assert.throws(() => auditAction('test.declared-once'), /declared twice/);
});
