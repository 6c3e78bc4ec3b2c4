// The few fields of Session's `signalservice.Content` protobuf that this project reads or writes.
// Field numbers follow Session's SignalService.proto (also shipped by the reference server as
// static/session.proto): Content.dataMessage = 1; DataMessage.body = 1, attachments = 2,
// timestamp = 7, profile = 101; LokiProfile.displayName = 1, profilePicture = 2;
// AttachmentPointer.id = 1, contentType = 2, size = 4, fileName = 7, url = 101. Unknown fields
// are skipped, so full client messages decode fine. Pure (no I/O): shared by the server's
// domain rules and the client library.
import { Root, type Type } from 'protobufjs/light';

const DESCRIPTOR = {
  nested: {
    signalservice: {
      nested: {
        Content: { fields: { dataMessage: { type: 'DataMessage', id: 1 } } },
        DataMessage: {
          fields: {
            body: { type: 'string', id: 1 },
            attachments: { rule: 'repeated', type: 'AttachmentPointer', id: 2 },
            timestamp: { type: 'uint64', id: 7 },
            profile: { type: 'LokiProfile', id: 101 },
          },
          nested: {
            LokiProfile: {
              fields: { displayName: { type: 'string', id: 1 }, profilePicture: { type: 'string', id: 2 } },
            },
          },
        },
        AttachmentPointer: {
          fields: {
            id: { type: 'fixed64', id: 1 },
            contentType: { type: 'string', id: 2 },
            size: { type: 'uint32', id: 4 },
            fileName: { type: 'string', id: 7 },
            url: { type: 'string', id: 101 },
          },
        },
      },
    },
  },
};

let contentType: Type | null = null;
export function sessionContent(): Type {
  contentType ??= Root.fromJSON(DESCRIPTOR).lookupType('signalservice.Content');
  return contentType;
}
