/**
 * s3rver in a child process started with --openssl-legacy-provider. s3rver encrypts its
 * ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 20) only has in its
 * legacy provider: in the test worker itself, any truncated listing fails with InternalError.
 * Prints `{ endpoint, bucket, region, accessKeyId, secretAccessKey }` as one JSON line, then
 * serves until stdin closes. An argument names the folder to keep the objects under.
 */
import { startLocalS3 } from '../../../helpers/s3rverServer';

const folder = process.argv[2];
const s3 = await startLocalS3(folder ? { folder } : {});
process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint, bucket: s3.bucket, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void s3.dispose().then(() => process.exit(0)));
