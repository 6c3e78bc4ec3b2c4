export { Identity } from './identity';
export { SogsClient, type ClientOptions, type ClientResponse, type RequestOptions, type SubRequest, type SubResponse } from './client';
export { padMessage, signedMessage, randomContent, type SignedMessage } from './messages';
export { httpRequest, type RawResponse } from './http';
