using System.Security.Cryptography;
using System.Text;

namespace Workbench.Jupyter.Protocol;

/// <summary>
/// HMAC signing of wire messages: the signature is the lowercase hex HMAC of the header, parent header, metadata
/// and content frames exactly as they are on the wire. An empty key disables signing (and checking).
/// </summary>
public sealed class MessageSigner
{
    private readonly byte[] _key;
    private readonly HashAlgorithmName _algorithm;

    /// <summary>Creates a signer for a connection file's <c>signature_scheme</c> and <c>key</c>.</summary>
    /// <exception cref="FormatException">The scheme is not hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sha1.</exception>
    public MessageSigner(string scheme, string key)
    {
        _algorithm = scheme switch
        {
            "hmac-sha256" => HashAlgorithmName.SHA256,
            "hmac-sha384" => HashAlgorithmName.SHA384,
            "hmac-sha512" => HashAlgorithmName.SHA512,
            "hmac-sha1" => HashAlgorithmName.SHA1,
            _ => throw new FormatException($"connection file: signature_scheme '{scheme}' is not supported"),
        };
        _key = Encoding.UTF8.GetBytes(key);
    }

    /// <summary>False when the key is empty: messages are sent with an empty signature and not checked.</summary>
    public bool IsEnabled => _key.Length > 0;

    /// <summary>The hex signature of the four JSON frames (empty when signing is disabled).</summary>
    public string Sign(byte[] header, byte[] parentHeader, byte[] metadata, byte[] content)
    {
        if (!IsEnabled)
        {
            return string.Empty;
        }

        return Convert.ToHexStringLower(ComputeMac(header, parentHeader, metadata, content));
    }

    /// <summary>
    /// Checks a received signature frame against the received JSON frames, in constant time. Always true when
    /// signing is disabled.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> signature, byte[] header, byte[] parentHeader, byte[] metadata, byte[] content)
    {
        if (!IsEnabled)
        {
            return true;
        }

        var expected = ComputeMac(header, parentHeader, metadata, content);
        if (signature.Length != expected.Length * 2)
        {
            return false;
        }

        Span<byte> received = stackalloc byte[expected.Length];
        for (var i = 0; i < received.Length; i++)
        {
            var high = HexValue(signature[2 * i]);
            var low = HexValue(signature[2 * i + 1]);
            if (high < 0 || low < 0)
            {
                return false;
            }

            received[i] = (byte)((high << 4) | low);
        }

        return CryptographicOperations.FixedTimeEquals(received, expected);
    }

    private byte[] ComputeMac(byte[] header, byte[] parentHeader, byte[] metadata, byte[] content)
    {
        using var mac = IncrementalHash.CreateHMAC(_algorithm, _key);
        mac.AppendData(header);
        mac.AppendData(parentHeader);
        mac.AppendData(metadata);
        mac.AppendData(content);
        return mac.GetHashAndReset();
    }

    private static int HexValue(byte c)
    {
        return c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => -1,
        };
    }
}
