using System.Reflection;
using System.Runtime.InteropServices;

namespace Workbench.Jupyter.Zmq;

/// <summary>
/// The raw libzmq entry points (4.x C API). Debian's libzmq5 ships only the versioned <c>libzmq.so.5</c>
/// (the unversioned <c>libzmq.so</c> comes with the -dev package), so a resolver maps the logical name
/// <c>libzmq</c> to whichever exists.
/// </summary>
internal static unsafe partial class ZmqNative
{
    private const string LibraryName = "libzmq";

    public const int Pub = 1;
    public const int Sub = 2;
    public const int Req = 3;
    public const int Rep = 4;
    public const int Dealer = 5;
    public const int Router = 6;

    public const int Subscribe = 6;
    public const int Linger = 17;

    public const int DontWait = 1;
    public const int SndMore = 2;
    public const short PollIn = 1;

    public const int EIntr = 4;
    public const int EAgain = 11;

    static ZmqNative()
    {
        NativeLibrary.SetDllImportResolver(typeof(ZmqNative).Assembly, Resolve);
    }

    /// <summary>Forces the static constructor (and so the resolver) to run before any native call.</summary>
    public static void EnsureLoaded()
    {
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibraryName)
        {
            return IntPtr.Zero;
        }

        foreach (var candidate in new[] { "libzmq.so.5", "libzmq.so", "libzmq.dylib", "libzmq" })
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
            {
                return handle;
            }
        }

        throw new DllNotFoundException("libzmq not found: install the Debian package libzmq5 (./workbench setup).");
    }

    /// <summary>The opaque <c>zmq_msg_t</c>: 64 bytes, 8-byte aligned, since libzmq 4.2.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 64)]
    public struct Message
    {
        private fixed long _opaque[8];
    }

    /// <summary><c>zmq_pollitem_t</c> on 64-bit Unix: socket pointer, fd, events, revents.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollItem
    {
        public IntPtr Socket;
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport(LibraryName, EntryPoint = "zmq_ctx_new")]
    public static partial IntPtr CtxNew();

    [LibraryImport(LibraryName, EntryPoint = "zmq_ctx_term")]
    public static partial int CtxTerm(IntPtr context);

    [LibraryImport(LibraryName, EntryPoint = "zmq_socket")]
    public static partial IntPtr Socket(IntPtr context, int type);

    [LibraryImport(LibraryName, EntryPoint = "zmq_close")]
    public static partial int Close(IntPtr socket);

    [LibraryImport(LibraryName, EntryPoint = "zmq_bind", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Bind(IntPtr socket, string endpoint);

    [LibraryImport(LibraryName, EntryPoint = "zmq_connect", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Connect(IntPtr socket, string endpoint);

    [LibraryImport(LibraryName, EntryPoint = "zmq_setsockopt")]
    public static partial int SetSockOpt(IntPtr socket, int option, void* value, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "zmq_msg_init")]
    public static partial int MsgInit(Message* message);

    [LibraryImport(LibraryName, EntryPoint = "zmq_msg_recv")]
    public static partial int MsgRecv(Message* message, IntPtr socket, int flags);

    [LibraryImport(LibraryName, EntryPoint = "zmq_msg_data")]
    public static partial void* MsgData(Message* message);

    [LibraryImport(LibraryName, EntryPoint = "zmq_msg_size")]
    public static partial nuint MsgSize(Message* message);

    [LibraryImport(LibraryName, EntryPoint = "zmq_msg_more")]
    public static partial int MsgMore(Message* message);

    [LibraryImport(LibraryName, EntryPoint = "zmq_msg_close")]
    public static partial int MsgClose(Message* message);

    [LibraryImport(LibraryName, EntryPoint = "zmq_send")]
    public static partial int Send(IntPtr socket, void* buffer, nuint length, int flags);

    [LibraryImport(LibraryName, EntryPoint = "zmq_poll")]
    public static partial int Poll(PollItem* items, int count, long timeout);

    [LibraryImport(LibraryName, EntryPoint = "zmq_errno")]
    public static partial int Errno();

    [LibraryImport(LibraryName, EntryPoint = "zmq_strerror")]
    public static partial IntPtr StrError(int errnum);

    /// <summary>The text of a libzmq error number.</summary>
    public static string ErrorText(int errnum)
    {
        return Marshal.PtrToStringUTF8(StrError(errnum)) ?? $"errno {errnum}";
    }
}
