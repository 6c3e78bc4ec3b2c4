export { Identity } from './identity';
export { SogsClient, type ClientOptions, type ClientResponse, type RequestOptions, type SubRequest, type SubResponse } from './client';
export { padMessage, signedMessage, randomContent, type SignedMessage } from './messages';
export { httpRequest, type RawResponse } from './http';
export { onionRequest, buildV4Plaintext, buildV3Plaintext, openV4Reply, openV3Reply, OnionTransportError, type OnionInnerRequest, type OnionOptions, type OnionResponse } from './onion';
export { encodeSessionMessage, decodeSessionMessageBody, type SessionMessageParts } from './protobuf';
export { attachmentHeader, uploadFile, uploadFileId, downloadFile } from './files';
export { react, unreact, reactors } from './reactions';
export { sendDirectMessage } from './dms';
