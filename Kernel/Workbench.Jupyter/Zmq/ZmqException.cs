namespace Workbench.Jupyter.Zmq;

/// <summary>A libzmq call failed; carries the libzmq error number.</summary>
public sealed class ZmqException : Exception
{
    /// <summary>Creates the exception for <paramref name="operation"/> failing with <paramref name="errorNumber"/>.</summary>
    public ZmqException(string operation, int errorNumber)
        : base($"{operation} failed: {ZmqNative.ErrorText(errorNumber)} (errno {errorNumber})")
    {
        ErrorNumber = errorNumber;
    }

    /// <summary>The libzmq <c>errno</c> value.</summary>
    public int ErrorNumber { get; }
}
